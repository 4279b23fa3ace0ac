import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { openApiDocument } from '../../src/http/openapi';
import { VERIFY_ERROR_CODES } from '../../src/jwt/verify-errors';

/**
 * The API Management policies in apim/: no API Management runs here, so what can be checked
 * offline is: well-formed XML with the policy elements and attributes the reference documents,
 * expressions that use only members of the `context` variable the reference lists, a body that
 * sends only fields /api/verify takes, and codes that exist.
 */
const APIM = join(__dirname, '..', '..', 'apim');
const read = (name: string): string => readFileSync(join(APIM, name), 'utf8');
const FILES = ['fragments/kv-jwt-token.xml', 'fragments/kv-jwt-verify.xml', 'api-policy.xml'];

/** Policy elements used, as named in the API Management policy reference. */
const POLICY_ELEMENTS = new Set([
  'fragment', 'policies', 'inbound', 'backend', 'outbound', 'on-error', 'base', 'include-fragment',
  'set-variable', 'choose', 'when', 'otherwise', 'return-response', 'set-status', 'set-header', 'value',
  'send-request', 'set-url', 'set-method', 'set-body', 'authentication-managed-identity',
  'validate-jwt', 'openid-config', 'audiences', 'audience', 'issuers', 'issuer',
]);

/** Members of `context` the policy expression reference lists (context.Request, IUrl, context.Variables). */
const CONTEXT_MEMBERS = new Set([
  'context.Request.Headers.GetValueOrDefault',
  'context.Request.Certificate',
  'context.Request.Certificate.RawData', // X509Certificate2: all members allowed
  'context.Request.Method',
  'context.Request.OriginalUrl.ToString',
  'context.Variables',
]);

function elementNames(node: unknown, names: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) node.forEach((child) => elementNames(child, names));
  else if (typeof node === 'object' && node !== null) {
    for (const [name, child] of Object.entries(node)) {
      if (name === ':@' || name === '#text' || name === '#comment') continue; // attributes, text, comments
      names.add(name);
      elementNames(child, names);
    }
  }
  return names;
}

describe('API Management policies (apim/)', () => {
  it.each(FILES)('%s is well-formed XML made of documented policy elements', (file) => {
    expect(XMLValidator.validate(read(file))).toBe(true);
    const tree: unknown = new XMLParser({ preserveOrder: true, ignoreAttributes: false, commentPropName: '#comment' }).parse(read(file));
    const unknown = [...elementNames(tree)].filter((name) => !POLICY_ELEMENTS.has(name));
    expect(unknown).toEqual([]);
  });

  it('uses only context members the policy expression reference lists', () => {
    const used = new Set(FILES.flatMap((file) => [...read(file).matchAll(/context(?:\.[A-Za-z]+)+/g)].map((match) => match[0])));
    expect([...used].filter((member) => !CONTEXT_MEMBERS.has(member))).toEqual([]);
    expect(used).toEqual(new Set([...CONTEXT_MEMBERS]));
  });

  it('sends kv-jwt only fields /api/verify takes, certificate as base64 DER, htu without query', () => {
    const fragment = read('fragments/kv-jwt-verify.xml');
    const sent = [...fragment.matchAll(/body\["([a-z_]+)"\]|new JProperty\("([a-z_]+)"/g)].map((match) => match[1] ?? match[2]);
    const verify = (openApiDocument('https://x/api') as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } } }> }).paths['/verify'];
    const accepted = Object.keys(verify.post.requestBody.content['application/json'].schema.properties);
    expect(sent.sort()).toEqual(['client_certificate', 'dpop', 'htm', 'htu', 'token']);
    expect(accepted).toEqual(expect.arrayContaining(sent));
    expect(fragment).toContain('Convert.ToBase64String(context.Request.Certificate.RawData)');
    expect(fragment).toContain('GetLeftPart(UriPartial.Path)');
    expect(fragment).toContain('<authentication-managed-identity resource="{{kv-jwt-app-id-uri}}" />');
  });

  it('lets a request through only on "active": true; 503 when kv-jwt can not answer, 401 otherwise', () => {
    const fragment = read('fragments/kv-jwt-verify.xml');
    expect(fragment).toContain('ignore-error="true"'); // an outage reaches the policy as null, not as an exception
    expect(fragment).toMatch(/response == null \|\| response\.StatusCode >= 500\) \{ return "unavailable"; \}/);
    expect(fragment).toMatch(/Value&lt;bool\?&gt;\("active"\) == true\) \{ return "active"; \}/);
    expect(fragment).toMatch(/<when condition='@\(\(string\)context\.Variables\["kv-jwt-outcome"\] == "active"\)'>\s*<set-variable name="kv-jwt-claims"/);
    expect(fragment).toMatch(/<otherwise>\s*<return-response>\s*<set-status code="401"/);
    for (const code of [...fragment.matchAll(/outcome == "([a-z_]+)"/g)].map((match) => match[1])) expect(VERIFY_ERROR_CODES).toContain(code);
  });

  it('names the same named values in the files and in the README', () => {
    const namedValues = new Set(FILES.flatMap((file) => [...read(file).matchAll(/\{\{([a-z-]+)\}\}/g)].map((match) => match[1])));
    expect([...namedValues].sort()).toEqual(['kv-jwt-app-id-uri', 'kv-jwt-audience', 'kv-jwt-issuer', 'kv-jwt-openid-config-url', 'kv-jwt-verify-url']);
    const readme = read('README.md');
    for (const name of namedValues) expect(readme).toContain(`\`${name}\``);
    for (const id of ['kv-jwt-token', 'kv-jwt-verify']) expect(read('api-policy.xml')).toContain(`<include-fragment fragment-id="${id}" />`);
  });
});
