/**
 * Start-up check: the signing key (and the encryption key) must exist in the vault. A missing key
 * is created (first version, valid at once) only when KEY_VAULT_CREATE_KEY=true; otherwise start-up
 * stops with what to do, because a silently created key in the wrong vault is worse than a clear failure.
 */
import type { KeyAlgorithm } from '../../algorithms';
import { ConfigError } from '../../errors';
import type { KeyVaultKeyStore } from './keyvault-key-store';

export interface EnsureKeyResult {
  created: boolean;
}

export async function ensureKeyExists<A extends KeyAlgorithm>(store: KeyVaultKeyStore<A>, options: { createIfMissing: boolean; nowSeconds: number; keySize: number; setting?: string }): Promise<EnsureKeyResult> {
  if (await store.keyExists()) return { created: false };
  if (!options.createIfMissing) {
    const encryption = store.use === 'enc';
    throw new ConfigError(
      options.setting ?? (encryption ? 'JWT_ENCRYPTION_KEY_NAME' : 'JWT_KEY_NAME'),
      `the ${encryption ? 'encryption ' : ''}key '${store.keyName}' does not exist in the Key Vault. Create it (e.g. az keyvault key create --vault-name <vault> --name ${store.keyName} --kty RSA --size ${options.keySize} --ops ${encryption ? 'wrapKey unwrapKey' : 'sign verify'}), ` +
        'or set KEY_VAULT_CREATE_KEY=true to let the app create it at start-up (its identity then needs the Key Vault Crypto Officer role).',
    );
  }
  await store.createVersion({ notBefore: options.nowSeconds, tags: { origin: 'startup' } });
  return { created: true };
}
