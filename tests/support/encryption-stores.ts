import type { KeyWrapAlgorithm } from '../../src/algorithms';
import { KeyStoreError, type CreateVersionOptions, type EncryptionKeyStore, type KeyStoreFailure, type KeyVersion } from '../../src/keys/key-store';

/**
 * Wraps an encryption key store to count its unwraps and, when told, fail them the way a store can
 * (an outage, a missing role) — the Key Vault economy and failure tests read these.
 */
export class CountingEncryptionStore implements EncryptionKeyStore {
  unwraps = 0;
  failNext?: KeyStoreFailure;

  constructor(private readonly inner: EncryptionKeyStore) {}

  get kind(): 'embedded' | 'keyvault' {
    return this.inner.kind;
  }

  listVersions(): Promise<KeyVersion<KeyWrapAlgorithm>[]> {
    return this.inner.listVersions();
  }

  createVersion(options: CreateVersionOptions): Promise<KeyVersion<KeyWrapAlgorithm>> {
    return this.inner.createVersion(options);
  }

  disableVersion(kid: string): Promise<void> {
    return this.inner.disableVersion(kid);
  }

  unwrapKey(kid: string, encryptedKey: Buffer): Promise<Buffer> {
    this.unwraps += 1;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) return Promise.reject(new KeyStoreError(failure, `injected ${failure}`));
    return this.inner.unwrapKey(kid, encryptedKey);
  }
}
