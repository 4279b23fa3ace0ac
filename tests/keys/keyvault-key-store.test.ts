/**
 * The Key Vault adapter through the real SDK against the double: managed identity token after the
 * 401 challenge, paging, version mapping, signatures that verify with the published public keys,
 * and the call economy (one `sign` per token, no `get` per token, public keys read once).
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { algorithmSpec } from '../../src/algorithms';
import type { JwsAlgorithm } from '../../src/algorithms';
import type { PublicJwk } from '../../src/keys/key-store';
import { loadConfig } from '../../src/config/settings';
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, storeOnDouble, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble({ pageSize: 2 });
});
afterAll(async () => vault.stop());
afterEach(() => vault.faults.clear());

function publicKeyOf(jwk: PublicJwk | undefined): KeyObject {
  if (!jwk) throw new Error('no public JWK');
  const { kty, n, e, crv, x, y } = jwk;
  return createPublicKey({ key: kty === 'RSA' ? { kty, n, e } : { kty, crv, x, y }, format: 'jwk' });
}

function verifyLocally(alg: JwsAlgorithm, jwk: PublicJwk | undefined, data: Buffer, signature: Buffer): boolean {
  const spec = algorithmSpec(alg);
  const key = publicKeyOf(jwk);
  if (spec.family === 'EC') return verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (spec.family === 'RSA-PSS') return verify(spec.hash, data, { key, padding: 6, saltLength: spec.digestLength }, signature);
  return verify(spec.hash, data, key, signature);
}

describe('Key Vault key store (real SDK, managed identity)', () => {
  it('gets a managed identity token after the 401 challenge, once', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    const before = vault.counters.snapshot();
    await store.createVersion({ notBefore: now() });
    await store.listVersions();
    const after = vault.counters.snapshot();
    expect(after.challenge - before.challenge).toBeGreaterThanOrEqual(1);
    expect(after.token - before.token).toBe(1);
  });

  it('asks for a user-assigned identity when AZURE_CLIENT_ID is set', async () => {
    const store = storeOnDouble(vault, uniqueKeyName(), { env: { AZURE_CLIENT_ID: '00000000-0000-0000-0000-0000000000aa' } });
    await store.createVersion({ notBefore: now() });
    expect(vault.tokens.lastRequestedClientId).toBe('00000000-0000-0000-0000-0000000000aa');
  });

  it('chooses managed identity when the platform provides one, else DefaultAzureCredential', () => {
    const credentialOf = (env: Record<string, string>): string => loadConfig({ AUTH_MODE: 'none', ...env }).keyVault.credential;
    expect(credentialOf({ IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token' })).toBe('managed-identity');
    expect(credentialOf({ MSI_ENDPOINT: 'http://localhost:8081/msi/token' })).toBe('managed-identity');
    expect(credentialOf({})).toBe('default');
  });

  it('maps versions: opaque kid, Unix-seconds attributes, alg tag, public JWK', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    const nbf = now() - 10;
    const created = await store.createVersion({ notBefore: nbf, expires: nbf + 86400, tags: { purpose: 'test' } });
    const [listed] = await store.listVersions();
    expect(listed).toEqual(created);
    expect(listed.kid).toMatch(/^[0-9a-f]{32}$/);
    expect(listed).toEqual(expect.objectContaining({ alg: 'RS256', notBefore: nbf, expires: nbf + 86400, enabled: true, tags: { purpose: 'test', alg: 'RS256' } }));
    expect(listed.created).toBeGreaterThanOrEqual(nbf);
    expect(listed.publicJwk).toEqual({ kty: 'RSA', kid: listed.kid, alg: 'RS256', use: 'sig', n: expect.any(String), e: 'AQAB' });
    expect(JSON.stringify(listed)).not.toContain('https://');
  });

  it('follows nextLink paging, reads each public key once, and re-reads only attributes', async () => {
    const name = uniqueKeyName();
    const store = storeOnDouble(vault, name);
    const kids: string[] = [];
    for (let i = 0; i < 5; i += 1) kids.push((await store.createVersion({ notBefore: now() })).kid);
    // Creation order deliberately unlike version-id order: the caller sorts by `created`.
    kids.forEach((kid, index) => vault.state.setCreated(name, kid, 1_700_000_000 + (index * 7919) % 5));
    const reader = storeOnDouble(vault, name);
    const before = vault.counters.snapshot();
    const first = await reader.listVersions();
    const mid = vault.counters.snapshot();
    expect(first.map((v) => v.kid).sort()).toEqual([...kids].sort());
    expect(Object.fromEntries(first.map((v) => [v.kid, v.created]))).toEqual(Object.fromEntries(kids.map((kid, index) => [kid, 1_700_000_000 + (index * 7919) % 5])));
    expect(mid.list - before.list).toBe(3); // 5 versions, pages of 2
    expect(mid.get - before.get).toBe(5);
    await store.disableVersion(kids[2]);
    const second = await reader.listVersions();
    const after = vault.counters.snapshot();
    expect(after.get - mid.get).toBe(0);
    expect(second.find((v) => v.kid === kids[2])?.enabled).toBe(false);
    expect(second.filter((v) => v.enabled)).toHaveLength(4);
  });

  it.each<JwsAlgorithm>(['RS256', 'PS256', 'ES256', 'ES384', 'ES512'])('signs %s (the digest of the signing input, in the vault) so that the published public key verifies it', async (alg) => {
    const store = storeOnDouble(vault, uniqueKeyName(), { env: { JWT_ALG: alg } });
    const version = await store.createVersion({ notBefore: now() });
    const data = Buffer.from('header.payload');
    const signature = await store.sign(version.kid, alg, data);
    const spec = algorithmSpec(alg);
    if (spec.signatureLength) expect(signature).toHaveLength(spec.signatureLength);
    expect(version.alg).toBe(alg);
    expect(verifyLocally(alg, version.publicJwk, data, signature)).toBe(true);
    await expect(store.verify(version.kid, alg, data, signature)).resolves.toBe(true);
    await expect(store.verify(version.kid, alg, Buffer.from('tampered'), signature)).resolves.toBe(false);
  });

  it('costs exactly one sign call and no get per token once warm', async () => {
    const name = uniqueKeyName();
    const store = storeOnDouble(vault, name);
    await store.createVersion({ notBefore: now() });
    const [version] = await store.listVersions();
    const input = Buffer.from('header.payload');
    await store.sign(version.kid, 'RS256', input);
    const before = vault.counters.snapshot();
    for (let i = 0; i < 20; i += 1) await store.sign(version.kid, 'RS256', input);
    const after = vault.counters.snapshot();
    expect(after.sign - before.sign).toBe(20);
    expect(after.get - before.get).toBe(0);
    expect(after.token - before.token).toBe(0);
    expect(after.challenge - before.challenge).toBe(0);
    expect(after.list - before.list).toBe(0);
  });

  it('signs with a version it has never listed (one key read, then one call per token)', async () => {
    const name = uniqueKeyName();
    const kid = (await storeOnDouble(vault, name).createVersion({ notBefore: now() })).kid;
    const fresh = storeOnDouble(vault, name);
    const input = Buffer.from('header.payload');
    await fresh.sign(kid, 'RS256', input);
    const before = vault.counters.snapshot();
    await fresh.sign(kid, 'RS256', input);
    const after = vault.counters.snapshot();
    expect([after.sign - before.sign, after.get - before.get]).toEqual([1, 0]);
  });
});
