import { HttpRequest, InvocationContext, type Timer } from '@azure/functions';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { revokeHandler } from '../../functions/revoke';
import { rotateKeysTimer } from '../../functions/rotateKeys';
import { signHandler } from '../../functions/sign';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, storeOnDouble, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { useProcessSettings } from '../support/process-settings';
import { DEFAULTS, deployment, read } from './deployment-model';

/**
 * The log lines the alert rules count, as the app writes them: its real handlers and timer in process, over
 * the Key Vault double (a role taken away) and a table endpoint that refuses every request (a storage firewall).
 * Each log branch of each deployed query must find the line it selects, with the fields it filters on and
 * reads — so renaming an event or a field in the code fails here, not silently in Azure.
 */
interface LogBranch {
  rule: string;
  event: string;
  /** `tostring(line.<field>) == '<value>'` filters. */
  requires: Record<string, string>;
  /** Every `line.<field>` the branch reads. */
  reads: string[];
}

const rules = deployment(DEFAULTS).instances('alerts', 'alertRules') as Array<{ name: string; properties: { criteria: { allOf: Array<{ query: string }> } } }>;

/** The branches of the deployed queries that select structured log lines (`where event == '…'`), to their closing parenthesis. */
function logBranches(): LogBranch[] {
  return rules.flatMap(({ name, properties }) => {
    const query = properties.criteria.allOf[0].query;
    return [...query.matchAll(/where event == '([^']+)'/g)].map((match) => {
      let depth = 0;
      let end = match.index;
      for (; end < query.length; end += 1) {
        if (query[end] === '(') depth += 1;
        else if (query[end] === ')' && depth-- === 0) break;
      }
      const branch = query.slice(match.index, end);
      return {
        rule: name,
        event: match[1],
        requires: Object.fromEntries([...branch.matchAll(/tostring\(line\.(\w+)\) == '([^']*)'/g)].map((m) => [m[1], m[2]])),
        reads: [...new Set([...branch.matchAll(/line\.(\w+)/g)].map((m) => m[1]))],
      };
    });
  });
}

/** Every line the app wrote, console (its Logger) and invocation context (request.failed) alike, as text. */
const written: string[] = [];
const context = (functionName: string): InvocationContext => new InvocationContext({ functionName, invocationId: `alert-signals-${functionName}`, logHandler: (_level, ...args) => written.push(String(args[0])) });
const post = (route: string, body: unknown): HttpRequest =>
  new HttpRequest({ method: 'POST', url: `http://127.0.0.1:7071/api/${route}`, headers: { host: '127.0.0.1:7071', 'content-type': 'application/json' }, body: { string: JSON.stringify(body) } });
const parsedLines = (): Array<Record<string, unknown>> => written.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

let vault: KeyVaultDouble;
let refusingStorage: Server;
let restore: () => Promise<void>;
let token: string;

beforeAll(async () => {
  assertTestCaTrusted();
  const capture = (...args: unknown[]): void => void written.push(String(args[0]));
  for (const method of ['log', 'warn', 'error'] as const) jest.spyOn(console, method).mockImplementation(capture);
  refusingStorage = createServer((_request, response) => response.writeHead(403, { 'content-type': 'application/json' }).end('{"odata.error":{"code":"AuthorizationFailure","message":{"lang":"en-US","value":"This request is not authorized to perform this operation."}}}'));
  await new Promise<void>((resolve) => refusingStorage.listen(0, '127.0.0.1', resolve));
  const tableEndpoint = `TableEndpoint=http://127.0.0.1:${(refusingStorage.address() as AddressInfo).port}/devstoreaccount1`;
  vault = await startKeyVaultDouble();
  const keyName = uniqueKeyName('alert-signals');
  restore = await useProcessSettings({
    ...vault.environment(keyName),
    AzureWebJobsStorage: (process.env.AZURITE_CONNECTION_STRING ?? '').replace(/TableEndpoint=[^;]+/, tableEndpoint),
    JWT_AUDIENCES: 'api://orders',
    JWT_ISSUER: 'https://jwt.test/api',
    KEY_VAULT_CREATE_KEY: 'true', // the audit key (AUDIT_KEY_NAME) is created at start, as azd up creates it
  });
  await storeOnDouble(vault, keyName).createVersion({ notBefore: Math.floor(Date.now() / 1000) - 60 });
  const signed = await signHandler(post('sign', { claims: { sub: 'alert-signals', aud: 'api://orders' } }), context('sign'));
  token = (signed.jsonBody as { token: string }).token;
});

afterAll(async () => {
  await restore();
  await vault.stop();
  await new Promise<void>((resolve) => refusingStorage.close(() => resolve()));
  jest.restoreAllMocks();
});

describe('what the app writes when things break', () => {
  it('a caller’s own mistake (4xx) writes no request.failed line for the sign alert to count', async () => {
    const before = written.length;
    expect((await signHandler(post('sign', { claims: 'not an object' }), context('sign'))).status).toBe(400);
    expect(written.slice(before).filter((line) => line.includes('request.failed'))).toEqual([]);
  });

  it('a sign Key Vault refuses answers 503 and writes request.failed with the function and the code', async () => {
    vault.faults.forbid('sign');
    try {
      expect((await signHandler(post('sign', { claims: { sub: 'x', aud: 'api://orders' } }), context('sign'))).status).toBe(503);
    } finally {
      vault.faults.forbid('sign', false);
    }
  });

  it('a revocation the table refuses answers 503 (revocation_unavailable)', async () => {
    expect((await revokeHandler(post('revoke', { token }), context('revoke'))).status).toBe(503);
  });

  it('a rotation run Key Vault refuses fails the timer invocation (requests: success == false)', async () => {
    vault.faults.forbid('list');
    try {
      await expect(rotateKeysTimer({ isPastDue: false } as Timer, context('rotateKeys'))).rejects.toThrow();
    } finally {
      vault.faults.forbid('list', false);
    }
  });

  it('writes, for every log branch of every deployed alert query, a JSON line with the fields it filters on and reads', () => {
    const lines = parsedLines();
    const branches = logBranches();
    expect(new Set(branches.map((b) => b.event))).toEqual(new Set(['audit.rotate', 'keyring.refresh_failed', 'request.failed', 'revocation.start_failed']));
    for (const branch of branches) {
      const selected = lines.filter((line) => line.message === branch.event && Object.entries(branch.requires).every(([field, value]) => line[field] === value));
      const complete = selected.filter((line) => branch.reads.every((field) => typeof line[field] === 'string' && line[field] !== ''));
      expect({ ...branch, written: complete.length > 0 }).toEqual({ ...branch, written: true });
    }
  });

  it('names, in what the sign alert counts, a code of its list and the function as the app registers it', () => {
    const signFailure = parsedLines().find((line) => line.message === 'request.failed' && line.function === 'sign');
    expect(signFailure).toMatchObject({ code: 'key_store_forbidden' });
    const listed = rules.find((rule) => rule.name.endsWith('-sign-failures'))?.properties.criteria.allOf[0].query ?? '';
    expect(listed).toContain(`'${String(signFailure?.code)}'`);
    expect(read('functions/sign.ts')).toMatch(/app\.http\('sign', \{[^}]*handler: signHandler \}\)/);
    expect(read('functions/revoke.ts')).toMatch(/app\.http\('revoke', \{[^}]*handler: revokeHandler \}\)/);
    expect(read('functions/rotateKeys.ts')).toMatch(/app\.timer\('rotateKeys', \{[^}]*handler: rotateKeysTimer \}\)/);
  });
});
