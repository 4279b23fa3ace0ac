/**
 * The encryption key's contract, run against the embedded store (tests/keys/embedded/) and the Key
 * Vault adapter (tests/keys/keyvault/, real SDK and managed identity against the double): versions
 * of an RSA key for RSA-OAEP-256 only, published with `use: "enc"`; unwrapKey on the pinned version — also before nbf (Key Vault's "date-time
 * controlled operations" allow unwrap outside nbf/exp), never once disabled; a ciphertext that does
 * not decrypt is `bad_parameter`, whatever went wrong inside; the key signs nothing.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { KEY_WRAP_ALGORITHM } from '../../src/algorithms';
import { ManualClock } from '../../src/clock';
import type { EncryptionKeyStore, KeyVersion } from '../../src/keys/key-store';
import { wrapRsaOaep256 } from '../support/jwe';
import { failure } from './key-store-contract';

export const publicKeyOf = (version: KeyVersion<'RSA-OAEP-256'>) => createPublicKey({ key: { kty: 'RSA', n: version.publicJwk?.n, e: version.publicJwk?.e }, format: 'jwk' });

export function describeEncryptionContract(label: string, make: (clock: ManualClock) => Promise<{ store: EncryptionKeyStore; cleanup(): Promise<void> }>, startSeconds: number): void {
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
