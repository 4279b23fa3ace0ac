import { ERROR_STATUS } from '../../src/errors';
import { openApiDocument } from '../../src/http/openapi';
import { VERIFY_ERROR_CODES } from '../../src/jwt/verify-errors';
import { compiledRegistrations } from '../support/registrations';

describe('OpenAPI document', () => {
  it('describes exactly the registered HTTP routes and methods', () => {
    const document = openApiDocument('https://example.test/api') as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const registered = compiledRegistrations()
      .filter((f) => f.trigger === 'http')
      .flatMap((f) => (f.methods ?? []).map((m) => `${m} /${f.route}`))
      .sort();
    expect(documented).toEqual(registered);
  });

  it('names operations after the functions', () => {
    const document = openApiDocument('https://example.test/api') as { paths: Record<string, Record<string, { operationId: string }>> };
    const ids = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId)).sort();
    expect(ids).toEqual(compiledRegistrations().filter((f) => f.trigger === 'http').map((f) => f.name).sort());
  });

  it('documents the binding fields of sign and verify, and not on revoke', () => {
    type Schema = { properties: Record<string, unknown> };
    type Body = { content: Record<string, { schema: Schema }> };
    const paths = (openApiDocument('https://example.test/api') as { paths: Record<string, { post: { requestBody: Body } }> }).paths;
    const sign = paths['/sign'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(sign.properties)).toEqual(expect.arrayContaining(['claims', 'client_certificate', 'dpop']));
    expect((sign.properties.claims as Schema).properties).toHaveProperty('cnf');
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      expect(Object.keys(paths['/verify'].post.requestBody.content[type].schema.properties)).toEqual(expect.arrayContaining(['token', 'client_certificate', 'dpop', 'htm', 'htu']));
      expect(Object.keys(paths['/revoke'].post.requestBody.content[type].schema.properties)).not.toContain('dpop');
    }
  });

  type Operation = { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: { properties: Record<string, { enum?: string[] }> } }> }> };
  const operations = (): Array<[string, Operation]> =>
    Object.entries((openApiDocument('https://example.test/api') as { paths: Record<string, Record<string, Operation>> }).paths).flatMap(([path, methods]) => Object.values(methods).map((o): [string, Operation] => [path, o]));

  it('serves the given base URL', () => {
    expect(openApiDocument('https://tokens.contoso.com/api')).toMatchObject({ openapi: '3.0.3', servers: [{ url: 'https://tokens.contoso.com/api' }] });
  });

  it('asks for an Entra token on every route but the public ones (keys, discovery, health, this document)', () => {
    const anonymous = operations().filter(([, o]) => o.security === undefined).map(([path]) => path).sort();
    expect(anonymous).toEqual(['/.well-known/jwks.json', '/.well-known/openid-configuration', '/health', '/openapi.json']);
    for (const [, o] of operations().filter(([, op]) => op.security !== undefined)) {
      expect(o.security).toEqual([{ entra: [] }]);
      expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('lists exactly the closed lists of error codes: problem codes and verify answers', () => {
    const [, sign] = operations().find(([path]) => path === '/sign') as [string, Operation];
    expect(sign.responses['400'].content?.['application/problem+json'].schema.properties.code.enum).toEqual(Object.keys(ERROR_STATUS));
    const [, verify] = operations().find(([path]) => path === '/verify') as [string, Operation];
    expect(verify.responses['200'].content?.['application/json'].schema.properties.error.enum).toEqual([...VERIFY_ERROR_CODES]);
  });
});
