/**
 * The Key Vault adapter (keyvault-key-store.ts) through the real SDK against the double: managed
 * identity token after the 401 challenge, paging, version mapping, signatures that verify with the
 * published public keys, the call economy (one `sign` per token, no `get` per token, public keys read
 * once), the shared KeyStore contract, and the encryption key (wrapKey/unwrapKey only).
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { algorithmSpec } from '../../../src/algorithms';
import type { JwsAlgorithm } from '../../../src/algorithms';
import { ManualClock } from '../../../src/clock';
import type { PublicJwk } from '../../../src/keys/key-store';
import { createKeyVaultEncryptionKeyStore } from '../../../src/keys/keyvault/create-keyvault-key-store';
import { startKeyVaultDouble } from '../../support/keyvault-double';
import type { KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';
import { wrapRsaOaep256 } from '../../support/jwe';
import { describeEncryptionContract, publicKeyOf as encryptionPublicKeyOf } from '../encryption-store-contract';
import { describeKeyStoreContract, failure } from '../key-store-contract';

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

/**
 * The shared KeyStore contract, run against this adapter: real SDK, real ManagedIdentityCredential
 * (IDENTITY_ENDPOINT/IDENTITY_HEADER), the double's clock tied to the contract's manual clock so that
 * nbf/exp are decided the way Key Vault decides them.
 *
 * The one double of this file serves every algorithm (a key per algorithm) and the encryption key:
 * the identity library caches managed identity tokens per process, as it should, so every store
 * here must talk to the same token issuer.
 */
describe('KeyStore contract', () => {
  afterAll(() => {
    vault.clock = () => Date.now();
  });

  describeKeyStoreContract(
    'Azure Key Vault (real SDK against the double)',
    (clock, alg) => {
      vault.clock = () => clock.nowMs();
      const store = storeOnDouble(vault, uniqueKeyName(), { env: { JWT_ALG: alg } });
      return Promise.resolve({ store, cleanup: () => Promise.resolve() });
    },
    ['RS256', 'PS256', 'ES256', 'ES384', 'ES512'],
    { startSeconds: Math.floor(Date.now() / 1000) },
  );
});

describe('the encryption key on Key Vault', () => {
  afterAll(() => {
    vault.clock = () => Date.now();
  });

  describeEncryptionContract('Key Vault adapter (real SDK against the double)', (clock) => {
    vault.clock = () => clock.nowMs();
    useDoubleManagedIdentity(vault);
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(vault, uniqueKeyName()), clock, { retry: FAST_RETRY });
    return Promise.resolve({ store, cleanup: () => Promise.resolve() });
  }, Math.floor(Date.now() / 1000));

  it('creates versions with key_ops wrapKey and unwrapKey only, tagged with their algorithm, and costs one unwrapKey call each', async () => {
    const double = vault;
    const name = uniqueKeyName('enc-ops');
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(double, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), new ManualClock(double.clock()), { retry: FAST_RETRY });
    const version = await store.createVersion({ notBefore: double.nowSeconds() });
    const stored = double.state.find(name, version.kid);
    expect(stored?.keyOps).toEqual(['wrapKey', 'unwrapKey']);
    expect(stored?.tags).toMatchObject({ alg: 'RSA-OAEP-256' });
    const wrapped = wrapRsaOaep256(encryptionPublicKeyOf(version), randomBytes(32));
    const before = double.counters.snapshot();
    await store.unwrapKey(version.kid, wrapped);
    await store.unwrapKey(version.kid, wrapped);
    const after = double.counters.snapshot();
    expect([after.unwrapKey - before.unwrapKey, after.get - before.get, after.sign - before.sign]).toEqual([2, 0, 0]);
  });

  it('names the Crypto User role when the identity may not unwrap, and the key_ops when the key may not', async () => {
    const double = vault;
    const name = uniqueKeyName('enc-roles');
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(double, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), new ManualClock(double.clock()), { retry: FAST_RETRY });
    const version = await store.createVersion({ notBefore: double.nowSeconds() });
    const wrapped = wrapRsaOaep256(encryptionPublicKeyOf(version), randomBytes(32));
    double.faults.forbid('unwrapKey');
    try {
      const refusal = (await store.unwrapKey(version.kid, wrapped).then(() => new Error('unwrapped'), (error: unknown) => error)) as Error & { failure?: string };
      expect([refusal.failure, refusal.message]).toEqual(['forbidden', expect.stringContaining('Key Vault Crypto User')]);
    } finally {
      double.faults.forbid('unwrapKey', false);
    }
    // A version whose key_ops were narrowed outside the app: refused by the vault, reported as the key's definition.
    const stored = double.state.find(name, version.kid);
    if (stored) stored.keyOps = ['wrapKey'];
    const fresh = createKeyVaultEncryptionKeyStore(doubleConfig(double, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), new ManualClock(double.clock()), { retry: FAST_RETRY });
    expect(await failure(fresh.unwrapKey(version.kid, wrapped))).toBe('bad_parameter');
  });
});
