import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import type { AppConfig } from '../config/settings';
import type { EncryptionKeyStore, KeyStore } from '../keys/key-store';
import { EmbeddedKeyStore } from '../keys/embedded/embedded-key-store';
import { isHmac, KEY_WRAP_ALGORITHM } from '../algorithms';

/**
 * Chooses the key store from the settings: Key Vault when KEY_VAULT_URL is set, else the embedded
 * development store (config refuses that in Azure unless asked for). The Key Vault modules (and
 * @azure/identity under them, ~150 ms to load) are required only when they are used, so an
 * embedded-store start reaches its first answer without them.
 */
export async function createKeyStore(config: AppConfig, clock: Clock): Promise<KeyStore> {
  if (config.keyVaultUrl && isHmac(config.alg)) {
    const { openKeyVaultSecretStore } = await import('../keys/keyvault/open-keyvault-secret-store');
    return openKeyVaultSecretStore(config, clock);
  }
  if (config.keyVaultUrl) {
    const { openKeyVaultKeyStore } = await import('../keys/keyvault/create-keyvault-key-store');
    return openKeyVaultKeyStore(config, clock);
  }
  const store = new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: config.alg, rsaKeySize: config.rsaKeySize, clock });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} is not supported by the embedded key store.`);
  }
  return store;
}

/**
 * The encryption key's store, wherever the signing key lives: a Key Vault key (JWT_ENCRYPTION_KEY_NAME,
 * also in HS* mode, whose signing secrets are Key Vault secrets) or the embedded store's own folder.
 */
export async function createEncryptionKeyStore(config: AppConfig, clock: Clock): Promise<EncryptionKeyStore> {
  if (config.keyVaultUrl) {
    const { openKeyVaultEncryptionKeyStore } = await import('../keys/keyvault/create-keyvault-key-store');
    return openKeyVaultEncryptionKeyStore(config, clock);
  }
  return new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: KEY_WRAP_ALGORITHM, rsaKeySize: config.rsaKeySize, clock });
}
