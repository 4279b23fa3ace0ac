/**
 * Issue 4 end to end: the embedded host as a real process in Key Vault mode (KEY_VAULT_URL), the
 * real SDK and ManagedIdentityCredential inside it, talking HTTPS to the Key Vault double in this
 * test process. Both verify modes, call economy, an unknown-kid flood, an outage, a disabled key.
 */
import { randomBytes } from 'node:crypto';
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, storeOnDouble, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { startHost } from '../support/host';
import type { RunningHost } from '../support/host';

const AUDIENCE = 'api://orders';
const KEY_NAME = uniqueKeyName('e2e-signing');
let vault: KeyVaultDouble;
let localHost: RunningHost;
let remoteHost: RunningHost;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

function hostEnv(verifyMode: 'local' | 'keyvault', createKey: boolean): Record<string, string> {
  return {
    ...vault.environment(KEY_NAME),
    KEY_VAULT_CREATE_KEY: String(createKey),
    VERIFY_MODE: verifyMode,
    AUTH_MODE: 'none',
    JWT_AUDIENCES: AUDIENCE,
    JWT_ISSUER: 'https://jwt.test/api',
    // No rotation during the run: the call counts below are exact.
    ROTATION_SCHEDULE: '0 0 0 1 1 *',
  };
}

async function post(host: RunningHost, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function sign(host: RunningHost = localHost): Promise<{ token: string; kid: string }> {
  const answer = await post(host, '/api/sign', { claims: { sub: 'alice', aud: AUDIENCE } });
  expect(answer.status).toBe(200);
  return { token: String(answer.body.token), kid: String(answer.body.kid) };
}

const verify = async (token: string, host: RunningHost = localHost): Promise<Record<string, unknown>> => (await post(host, '/api/verify', { token })).body;

function callsBetween(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]).filter(([, delta]) => delta !== 0));
}

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble({ pageSize: 2 });
  localHost = await startHost({ env: hostEnv('local', true) });
  remoteHost = await startHost({ env: hostEnv('keyvault', false) });
}, 90_000);

afterAll(async () => {
  await localHost?.stop();
  await remoteHost?.stop();
  await vault?.stop();
});

afterEach(() => vault.faults.clear());

describe('Key Vault mode over HTTP', () => {
  it('creates the missing key when KEY_VAULT_CREATE_KEY=true and signs with it through Key Vault', async () => {
    const { token, kid } = await sign(); // services start at the latest with the first request
    const versions = vault.state.listByVersionId(KEY_NAME) ?? [];
    expect(versions).toHaveLength(1);
    expect(kid).toBe(versions[0].version);
    expect(token.split('.')).toHaveLength(3);
  });

  it.each(['local', 'keyvault'] as const)('verifies tokens with VERIFY_MODE=%s', async (mode) => {
    const host = mode === 'local' ? localHost : remoteHost;
    const { token } = await sign(mode === 'local' ? remoteHost : localHost);
    expect(await verify(token, host)).toMatchObject({ active: true });
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${randomBytes(256).toString('base64url')}`;
    expect(await verify(forged, host)).toMatchObject({ active: false, error: 'bad_signature' });
  });

  it('costs one Key Vault sign per token, nothing per local verify, one verify call in keyvault mode', async () => {
    await sign();
    await verify((await sign()).token, remoteHost);
    const start = vault.counters.snapshot();
    const tokens: string[] = [];
    for (let i = 0; i < 20; i += 1) tokens.push((await sign()).token);
    const signed = vault.counters.snapshot();
    for (const token of tokens) expect(await verify(token)).toMatchObject({ active: true });
    const verifiedLocally = vault.counters.snapshot();
    for (const token of tokens) expect(await verify(token, remoteHost)).toMatchObject({ active: true });
    const verifiedRemotely = vault.counters.snapshot();
    expect(callsBetween(signed, start)).toEqual({ sign: 20 });
    expect(callsBetween(verifiedLocally, signed)).toEqual({});
    expect(callsBetween(verifiedRemotely, verifiedLocally)).toEqual({ verify: 20 });
  });

  it('answers a flood of unknown kids with at most one refresh', async () => {
    const { token } = await sign();
    const [header, payload, signature] = token.split('.');
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
    const before = vault.counters.snapshot();
    for (let i = 0; i < 50; i += 1) {
      const forged = Buffer.from(JSON.stringify({ ...decoded, kid: randomBytes(16).toString('hex') })).toString('base64url');
      expect(await verify(`${forged}.${payload}.${signature}`)).toMatchObject({ active: false, error: 'unknown_key' });
    }
    const calls = callsBetween(vault.counters.snapshot(), before);
    expect(calls.list ?? 0).toBeLessThanOrEqual(1);
    expect(calls.get ?? 0).toBeLessThanOrEqual(calls.list ?? 0); // only a version it has never seen
    expect(calls.sign ?? 0).toBe(0);
  });

  it('keeps verifying during an outage while signing answers 503 with Retry-After, then recovers', async () => {
    const { token } = await sign();
    vault.faults.setOutage(true);
    expect(await verify(token)).toMatchObject({ active: true });
    const refused = await post(localHost, '/api/sign', { claims: { sub: 'alice', aud: AUDIENCE } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'key_store_unavailable' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    vault.faults.setOutage(false);
    const again = await sign();
    expect(await verify(again.token)).toMatchObject({ active: true });
  }, 30_000);

  it("names the missing role when the identity may not sign", async () => {
    vault.faults.forbid('sign');
    const refused = await post(localHost, '/api/sign', { claims: { sub: 'alice', aud: AUDIENCE } });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'key_store_forbidden' });
    expect(JSON.stringify(refused.body)).toContain('Key Vault Crypto User');
  });

  it('refuses tokens of a disabled version and signs with the next one', async () => {
    const old = await sign();
    const officer = storeOnDouble(vault, KEY_NAME);
    await officer.createVersion({ notBefore: vault.nowSeconds() - 60 });
    await officer.disableVersion(old.kid);
    const fresh = await sign(); // Key Vault refuses the disabled version; the host re-lists and moves on
    expect(fresh.kid).not.toBe(old.kid);
    expect(await verify(old.token)).toMatchObject({ active: false, error: 'key_disabled' });
    expect(await verify(fresh.token)).toMatchObject({ active: true });
  });

  it('without KEY_VAULT_CREATE_KEY, a missing key is not created and the log says what to do', async () => {
    const missing = uniqueKeyName('missing');
    const host = await startHost({ env: { ...hostEnv('local', false), JWT_KEY_NAME: missing } });
    try {
      const refused = await post(host, '/api/sign', { claims: { sub: 'alice', aud: AUDIENCE } });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(vault.state.listByVersionId(missing)).toBeUndefined();
      expect(host.logs()).toMatch(/does not exist in the Key Vault.*az keyvault key create.*KEY_VAULT_CREATE_KEY=true/);
    } finally {
      await host.stop();
    }
  }, 60_000);

  it('never logs a token or the identity secret', async () => {
    const logs = localHost.logs() + remoteHost.logs();
    for (const secret of [...vault.tokens.issuedTokens(), vault.identityHeader]) expect(logs).not.toContain(secret);
    const { token } = await sign();
    expect(localHost.logs()).not.toContain(token.split('.')[2]);
  });
});
