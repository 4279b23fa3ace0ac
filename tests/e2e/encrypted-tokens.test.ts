/**
 * Issue 19 end to end: the embedded host as a real process, once with the embedded key store and
 * once with the real Key Vault SDK against the Key Vault double (its encryption key created by
 * KEY_VAULT_CREATE_KEY, unwrapped through Key Vault's unwrapKey). Interop both ways with jose:
 * a JWE jose makes to our published `use: "enc"` key, around a token we signed, verifies through
 * /api/verify; a token we encrypt to an audience's key (its JWKS on a local HTTPS server with the
 * test CA) decrypts with jose and the audience's private key. Key Vault economy counted on the double.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactDecrypt, createLocalJWKSet, jwtVerify } from 'jose';
import { startHost, type RunningHost } from '../support/host';
import { joseJwe, publicKeyOf } from '../support/jwe';
import { audienceKeyPair, startJwksServer, type JwksServer } from '../support/jwks-server';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';

const ISSUER = 'https://jwt.test/api';
const partner = audienceKeyPair();
const KEY_NAME = uniqueKeyName('e2e-jwe');
let dir: string;
let vault: KeyVaultDouble;
let partnerJwks: JwksServer;
const hosts: Record<'embedded' | 'keyvault', RunningHost | undefined> = { embedded: undefined, keyvault: undefined };

interface Jwk {
  kid: string;
  use: string;
  alg: string;
  kty: string;
  n: string;
  e: string;
}

async function post(host: RunningHost, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
const sign = async (host: RunningHost, claims: Record<string, unknown>, encrypt?: boolean): Promise<Record<string, unknown>> => {
  const answer = await post(host, '/api/sign', { claims, ...(encrypt === undefined ? {} : { encrypt }) });
  expect(answer.status).toBe(200);
  return answer.body;
};
const verify = async (host: RunningHost, token: string): Promise<Record<string, unknown>> => (await post(host, '/api/verify', { token })).body;
const jwks = async (host: RunningHost): Promise<{ keys: Jwk[] }> => (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Jwk[] };

beforeAll(async () => {
  assertTestCaTrusted();
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-e2e-jwe-'));
  vault = await startKeyVaultDouble({ pageSize: 2 });
  partnerJwks = await startJwksServer([partner.jwk]);
  const common = {
    AUTH_MODE: 'none',
    JWT_AUDIENCES: 'api://orders,api://partner',
    JWT_ISSUER: ISSUER,
    JWT_ENCRYPTION_AUDIENCE_JWKS: JSON.stringify({ 'api://partner': partnerJwks.url }),
    ROTATION_SCHEDULE: '0 0 0 1 1 *', // no timer run: the call counts below are exact
  };
  [hosts.embedded, hosts.keyvault] = await Promise.all([
    startHost({ env: { ...common, LOCAL_KEYSTORE_DIR: dir } }),
    startHost({ env: { ...common, ...vault.environment(KEY_NAME), KEY_VAULT_CREATE_KEY: 'true' } }),
  ]);
}, 90_000);

afterAll(async () => {
  await hosts.embedded?.stop();
  await hosts.keyvault?.stop();
  await vault?.stop();
  await partnerJwks?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['embedded', 'keyvault'] as const)('encrypted tokens over HTTP (%s key store)', (store) => {
  const host = (): RunningHost => hosts[store] as RunningHost;

  it('verifies a JWE that jose makes to our published use:enc key, around a token we signed (A256GCM and A128GCM)', async () => {
    const encryptionKey = (await jwks(host())).keys.find((k) => k.use === 'enc') as Jwk;
    expect(encryptionKey).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256' });
    const inner = String((await sign(host(), { sub: 'alice', aud: 'api://orders', department: 'finance' })).token);
    for (const enc of ['A256GCM', 'A128GCM'] as const) {
      const token = await joseJwe(inner, publicKeyOf(encryptionKey), encryptionKey.kid, { enc });
      expect(await verify(host(), token)).toMatchObject({ active: true, sub: 'alice', department: 'finance' });
    }
  });

  it('issues "encrypt": true tokens that only /api/verify reads', async () => {
    const answer = await sign(host(), { sub: 'bob', aud: 'api://orders' }, true);
    expect(String(answer.token).split('.')).toHaveLength(5);
    expect(answer.encryption).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', recipient: 'self' });
    expect(await verify(host(), String(answer.token))).toMatchObject({ active: true, sub: 'bob' });
  });

  it('encrypts to the audience\'s own key: jose and the audience\'s private key decrypt it, the JWS inside verifies against our JWKS', async () => {
    const answer = await sign(host(), { sub: 'carol', aud: 'api://partner' }, true);
    expect(answer.encryption).toEqual({ kid: partner.kid, alg: 'RSA-OAEP-256', enc: 'A256GCM', recipient: 'api://partner' });
    const { plaintext } = await compactDecrypt(String(answer.token), partner.privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'] });
    const { payload, protectedHeader } = await jwtVerify(Buffer.from(plaintext).toString(), createLocalJWKSet((await jwks(host())) as never), { issuer: ISSUER, audience: 'api://partner' });
    expect(payload).toMatchObject({ sub: 'carol' });
    expect(protectedHeader.kid).toBe(answer.kid);
  });
});

describe('Key Vault economy and failures (the double counts)', () => {
  const host = (): RunningHost => hosts.keyvault as RunningHost;

  it('created the encryption key with KEY_VAULT_CREATE_KEY: RSA, key_ops wrapKey and unwrapKey only', async () => {
    await sign(host(), { aud: 'api://orders' }, true);
    const versions = vault.state.listByVersionId(`${KEY_NAME}-enc`) ?? [];
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ keyOps: ['wrapKey', 'unwrapKey'], keySize: 2048, tags: expect.objectContaining({ alg: 'RSA-OAEP-256' }) });
  });

  it('costs one unwrapKey per distinct token, none for repeats, none to encrypt', async () => {
    const start = vault.counters.snapshot();
    const tokens: string[] = [];
    for (let i = 0; i < 10; i += 1) tokens.push(String((await sign(host(), { sub: `user-${i}`, aud: 'api://orders' }, true)).token));
    const signed = vault.counters.snapshot();
    for (let round = 0; round < 3; round += 1) for (const token of tokens) expect(await verify(host(), token)).toMatchObject({ active: true });
    const verified = vault.counters.snapshot();
    expect([signed.sign - start.sign, signed.wrapKey - start.wrapKey, signed.unwrapKey - start.unwrapKey]).toEqual([10, 0, 0]);
    expect([verified.unwrapKey - signed.unwrapKey, verified.sign - signed.sign, verified.get - signed.get]).toEqual([10, 0, 0]);
  });

  it('answers a JWE whose key does not unwrap like one whose tag fails, after one unwrapKey, and repeats it for free', async () => {
    const good = String((await sign(host(), { aud: 'api://orders' }, true)).token);
    const segments = good.split('.');
    const badKey = [segments[0], Buffer.alloc(256, 7).toString('base64url'), ...segments.slice(2)].join('.');
    const before = vault.counters.get('unwrapKey');
    expect(await verify(host(), badKey)).toEqual({ active: false, error: 'decrypt_failed' });
    expect(await verify(host(), badKey)).toEqual({ active: false, error: 'decrypt_failed' });
    expect(vault.counters.get('unwrapKey') - before).toBe(1);
  });

  it('names the missing role when the identity may not unwrap: a 503, not a verdict on the token', async () => {
    const token = String((await sign(host(), { aud: 'api://orders' }, true)).token);
    vault.faults.forbid('unwrapKey');
    try {
      const refused = await post(host(), '/api/verify', { token });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'key_store_forbidden' });
      expect(JSON.stringify(refused.body)).toContain('Key Vault Crypto User');
    } finally {
      vault.faults.forbid('unwrapKey', false);
    }
    expect(await verify(host(), token)).toMatchObject({ active: true });
  });

  it('logs neither tokens nor content keys', async () => {
    const answer = await sign(host(), { aud: 'api://orders' }, true);
    await verify(host(), String(answer.token));
    const logs = host().logs() + (hosts.embedded as RunningHost).logs();
    for (const segment of String(answer.token).split('.').slice(1)) expect(logs).not.toContain(segment);
  });
});
