import type { KeyStore } from '../../src/keys/key-store';
import { failure } from './key-store-contract';

export const SECRET_CONTRACT_NOW = Math.floor(Date.now() / 1000);
const NOW = SECRET_CONTRACT_NOW;

/** What every HMAC secret store shares (the SecretStore role on the KeyStore port). */
export function describeSecretStoreContract(label: string, make: (alg: 'HS256' | 'HS384' | 'HS512') => Promise<{ store: KeyStore; cleanup(): Promise<void> }>): void {
  describe.each([['HS256', 32], ['HS384', 48], ['HS512', 64]] as const)(`${label} %s`, (alg, length) => {
    it('generates a secret as long as the hash, never publishes it, and disables for good', async () => {
      const { store, cleanup } = await make(alg);
      try {
        expect(store.isSupported(alg)).toBe(true);
        const version = await store.createVersion({ notBefore: NOW - 10, tags: { origin: 'test' } });
        expect(version).toMatchObject({ alg, enabled: true });
        expect(version.publicJwk).toBeUndefined();
        expect(version.kid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
        const secret = await store.getSecret?.(version.kid);
        expect(secret?.length).toBe(length);
        const another = await store.createVersion({ notBefore: NOW });
        expect((await store.getSecret?.(another.kid))?.equals(secret as Buffer)).toBe(false);
        expect(await failure(store.sign(version.kid, alg, Buffer.from('header.payload')))).toBe('bad_parameter');
        await store.disableVersion(version.kid);
        expect((await store.listVersions()).find((v) => v.kid === version.kid)?.enabled).toBe(false);
      } finally {
        await cleanup();
      }
    });
  });
}
