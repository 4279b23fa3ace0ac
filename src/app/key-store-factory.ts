import type { Logger } from '../audit';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import type { AppConfig } from '../config/settings';
import type { KeyStore } from '../keys/key-store';
import { EmbeddedKeyStore } from '../keys/embedded/embedded-key-store';
import { openKeyVaultKeyStore } from '../keys/keyvault/create-keyvault-key-store';

/** Chooses the key store from the settings: Key Vault when KEY_VAULT_URL is set, else embedded. */
export async function createKeyStore(config: AppConfig, clock: Clock, _logger: Logger): Promise<KeyStore> {
  if (config.keyVaultUrl) return openKeyVaultKeyStore(config, clock);
  const store = new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: config.alg, clock });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} is not supported by the embedded key store.`);
  }
  return Promise.resolve(store);
}
