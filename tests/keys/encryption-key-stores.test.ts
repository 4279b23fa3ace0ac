/**
 * The encryption key's contract, run against the embedded store and the Key Vault adapter (real SDK
 * and managed identity against the double): versions of an RSA key for RSA-OAEP-256 only, published
 * with `use: "enc"`; unwrapKey on the pinned version — also before nbf (Key Vault's "date-time
 * controlled operations" allow unwrap outside nbf/exp), never once disabled; a ciphertext that does
 * not decrypt is `bad_parameter`, whatever went wrong inside; the key signs nothing.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_WRAP_ALGORITHM } from '../../src/algorithms';
import { ManualClock, type Clock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import type { EncryptionKeyStore, KeyVersion } from '../../src/keys/key-store';
import { createKeyVaultEncryptionKeyStore } from '../../src/keys/keyvault/create-keyvault-key-store';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, uniqueKeyName, useDoubleManagedIdentity } from '../support/keyvault-double/adapter-fixture';
import { wrapRsaOaep256 } from '../support/jwe';
import { failure } from './key-store-contract';

const publicKeyOf = (version: KeyVersion<'RSA-OAEP-256'>) => createPublicKey({ key: { kty: 'RSA', n: version.publicJwk?.n, e: version.publicJwk?.e }, format: 'jwk' });

function describeEncryptionContract(label: string, make: (clock: ManualClock) => Promise<{ store: EncryptionKeyStore; cleanup(): Promise<void> }>, startSeconds: number): void {
  describe(`encryption key contract: ${label}`, () => {
    let clock: ManualClock;
    let store: EncryptionKeyStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      clock = new ManualClock(startSeconds * 1000);
      ({ store, cleanup } = await make(clock));
    });
    afterAll(async () => cleanup?.());

    it('creates RSA-OAEP-256 versions published with use "enc" and no private member', async () => {
      const version = await store.createVersion({ notBefore: startSeconds, tags: { purpose: 'contract' } });
      expect(version).toMatchObject({ alg: KEY_WRAP_ALGORITHM, enabled: true, notBefore: startSeconds, tags: { purpose: 'contract' } });
      expect(version.publicJwk).toMatchObject({ kty: 'RSA', kid: version.kid, alg: 'RSA-OAEP-256', use: 'enc' });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(version.publicJwk).not.toHaveProperty(member);
      expect(publicKeyOf(version).asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect((await store.listVersions()).find((v) => v.kid === version.kid)?.publicJwk).toEqual(version.publicJwk);
    });

    it('unwraps a content key wrapped to the public key, with exactly the named version', async () => {
      const version = await store.createVersion({ notBefore: startSeconds });
      const other = await store.createVersion({ notBefore: startSeconds });
      const contentKey = randomBytes(32);
      const wrapped = wrapRsaOaep256(publicKeyOf(version), contentKey);
      expect(await store.unwrapKey(version.kid, wrapped)).toEqual(contentKey);
      expect(await failure(store.unwrapKey(other.kid, wrapped))).toBe('bad_parameter');
    });

    it('unwraps with an announced version (before nbf) but never with a disabled one', async () => {
      const announced = await store.createVersion({ notBefore: startSeconds + 3600 });
      const contentKey = randomBytes(16);
      const wrapped = wrapRsaOaep256(publicKeyOf(announced), contentKey);
      expect(await store.unwrapKey(announced.kid, wrapped)).toEqual(contentKey);
      await store.disableVersion(announced.kid);
      expect(await failure(store.unwrapKey(announced.kid, wrapped))).toBe('disabled');
      expect((await store.listVersions()).find((v) => v.kid === announced.kid)?.enabled).toBe(false);
    });

    it('answers garbage, a wrong length and an unknown version without telling more', async () => {
      const version = await store.createVersion({ notBefore: startSeconds });
      expect(await failure(store.unwrapKey(version.kid, randomBytes(256)))).toBe('bad_parameter');
      expect(await failure(store.unwrapKey(version.kid, randomBytes(100)))).toBe('bad_parameter');
      expect(await failure(store.unwrapKey('0123456789abcdef0123456789abcdef', randomBytes(256)))).toBe('not_found');
    });
  });
}

describe('embedded', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const open = (dir: string, clock: Clock): EmbeddedKeyStore<'RSA-OAEP-256'> => new EmbeddedKeyStore({ dir, alg: KEY_WRAP_ALGORITHM, clock });

  describeEncryptionContract('embedded store', (clock) => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-enc-contract-'));
    dirs.push(dir);
    return Promise.resolve({ store: open(dir, clock), cleanup: () => Promise.resolve() });
  }, 1_800_000_000);

  it('keeps the encryption key apart from the signing key in one folder: neither store reads the other\'s versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-enc-apart-'));
    dirs.push(dir);
    const clock = new ManualClock(1_800_000_000_000);
    const signing = new EmbeddedKeyStore({ dir, alg: 'RS256', clock });
    const encryption = open(dir, clock);
    const sig = await signing.createVersion({ notBefore: 1_800_000_000 });
    const enc = await encryption.createVersion({ notBefore: 1_800_000_000 });
    expect((await signing.listVersions()).map((v) => v.kid)).toEqual([sig.kid]);
    expect((await encryption.listVersions()).map((v) => v.kid)).toEqual([enc.kid]);
    expect(await failure(signing.sign(enc.kid, 'RS256', Buffer.from('x')))).toBe('not_found');
    expect(await failure(encryption.sign(enc.kid, 'RS256', Buffer.from('x')))).toBe('bad_parameter');
    expect(await failure(encryption.unwrapKey(sig.kid, randomBytes(256)))).toBe('not_found');
  });
});

describe('Key Vault', () => {
  let vault: KeyVaultDouble | undefined;
  beforeAll(() => assertTestCaTrusted());
  afterAll(async () => vault?.stop());

  describeEncryptionContract('Key Vault adapter (real SDK against the double)', async (clock) => {
    vault = await startKeyVaultDouble({ pageSize: 2 });
    vault.clock = () => clock.nowMs();
    useDoubleManagedIdentity(vault);
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(vault, uniqueKeyName()), clock, { retry: FAST_RETRY });
    return { store, cleanup: () => Promise.resolve() };
  }, Math.floor(Date.now() / 1000));

  it('creates versions with key_ops wrapKey and unwrapKey only, tagged with their algorithm, and costs one unwrapKey call each', async () => {
    const double = vault as KeyVaultDouble;
    const name = uniqueKeyName('enc-ops');
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(double, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), new ManualClock(double.clock()), { retry: FAST_RETRY });
    const version = await store.createVersion({ notBefore: double.nowSeconds() });
    const stored = double.state.find(name, version.kid);
    expect(stored?.keyOps).toEqual(['wrapKey', 'unwrapKey']);
    expect(stored?.tags).toMatchObject({ alg: 'RSA-OAEP-256' });
    const wrapped = wrapRsaOaep256(publicKeyOf(version), randomBytes(32));
    const before = double.counters.snapshot();
    await store.unwrapKey(version.kid, wrapped);
    await store.unwrapKey(version.kid, wrapped);
    const after = double.counters.snapshot();
    expect([after.unwrapKey - before.unwrapKey, after.get - before.get, after.sign - before.sign]).toEqual([2, 0, 0]);
  });

  it('names the Crypto User role when the identity may not unwrap, and the key_ops when the key may not', async () => {
    const double = vault as KeyVaultDouble;
    const name = uniqueKeyName('enc-roles');
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(double, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), new ManualClock(double.clock()), { retry: FAST_RETRY });
    const version = await store.createVersion({ notBefore: double.nowSeconds() });
    const wrapped = wrapRsaOaep256(publicKeyOf(version), randomBytes(32));
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
