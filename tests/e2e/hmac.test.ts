import { mkdtempSync, rmSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';

/** Issue 7 over HTTP: HS256 on the embedded store and through Key Vault secrets. */
const AUDIENCE = 'api://orders';
const BASE = { AUTH_MODE: 'none', JWT_AUDIENCES: AUDIENCE, JWT_ISSUER: 'https://jwt.test/api' };
let dir: string;
let host: RunningHost;

async function post(path: string, body: unknown, on: RunningHost = host): Promise<Record<string, unknown>> {
  const response = await fetch(`${on.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-hmac-'));
});
afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HMAC mode on the embedded store', () => {
  let rsToken: string;
  let rsKid: string;

  it('starts in RS256 and issues a token (to switch algorithms below)', async () => {
    host = await startHost({ env: { ...BASE, LOCAL_KEYSTORE_DIR: dir, JWT_ALG: 'RS256' } });
    const signed = await post('/api/sign', { claims: { sub: 'a', aud: AUDIENCE }, ttlSeconds: 600 });
    rsToken = String(signed.token);
    rsKid = String(signed.kid);
    await host.stop();
    host = await startHost({ env: { ...BASE, LOCAL_KEYSTORE_DIR: dir, JWT_ALG: 'HS256' } });
  }, 60_000);

  it('signs and verifies HS256 and publishes no HMAC key', async () => {
    const signed = await post('/api/sign', { claims: { sub: 'b', aud: AUDIENCE } });
    expect(signed.alg).toBe('HS256');
    expect(decode(String(signed.token).split('.')[0])).toEqual({ alg: 'HS256', typ: 'JWT', kid: signed.kid });
    expect(await post('/api/verify', { token: signed.token })).toMatchObject({ active: true, sub: 'b' });
    const jwks = (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; kty: string }> };
    expect(jwks.keys.every((k) => k.kty !== 'oct' && k.kid !== signed.kid)).toBe(true);
    const discovery = (await (await fetch(`${host.baseUrl}/api/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.id_token_signing_alg_values_supported).toEqual([]);
  });

  it('still verifies the RS256 token signed before the switch (its key is retired, not gone)', async () => {
    expect(await post('/api/verify', { token: rsToken })).toMatchObject({ active: true, sub: 'a' });
  });

  it('refuses an HS token carrying the kid of an RSA key, even HMAC-ed with its public key', async () => {
    const jwks = (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const rsa = jwks.keys.find((k) => k.kid === rsKid) as Record<string, string>;
    const input = `${segment({ alg: 'HS256', typ: 'JWT', kid: rsKid })}.${rsToken.split('.')[1]}`;
    for (const secret of [JSON.stringify(rsa), rsa.n, Buffer.from(rsa.n, 'base64url')]) {
      const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(await post('/api/verify', { token: forged })).toEqual({ active: false, error: 'alg_mismatch' });
    }
  });

  it('refuses an RS token relabelled HS', async () => {
    const [, payload, signature] = rsToken.split('.');
    const relabelled = `${segment({ alg: 'HS256', typ: 'JWT', kid: rsKid })}.${payload}.${signature}`;
    expect(await post('/api/verify', { token: relabelled })).toEqual({ active: false, error: 'alg_mismatch' });
  });
});

describe('HMAC mode through Key Vault secrets', () => {
  let vault: KeyVaultDouble;
  let kvHost: RunningHost;
  beforeAll(async () => {
    assertTestCaTrusted();
    vault = await startKeyVaultDouble({ pageSize: 2 });
    kvHost = await startHost({ env: { ...BASE, ...vault.environment(uniqueKeyName('hs')), JWT_ALG: 'HS512', KEY_VAULT_CREATE_KEY: 'true' } });
  }, 60_000);
  afterAll(async () => {
    await kvHost?.stop();
    await vault?.stop();
  });

  it('signs and verifies with no Key Vault call per token', async () => {
    const warm = await post('/api/sign', { claims: { sub: 'warm', aud: AUDIENCE } }, kvHost);
    expect(warm.alg).toBe('HS512');
    const before = vault.counters.snapshot();
    for (let i = 0; i < 20; i += 1) {
      const signed = await post('/api/sign', { claims: { sub: `u${i}`, aud: AUDIENCE } }, kvHost);
      expect(await post('/api/verify', { token: signed.token }, kvHost)).toMatchObject({ active: true });
    }
    const after = vault.counters.snapshot();
    for (const operation of ['get', 'sign', 'verify', 'create'] as const) expect((after[operation] ?? 0) - (before[operation] ?? 0)).toBe(0);
  });
});
