import type { Logger } from '../audit';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import type { AppConfig } from '../config/settings';
import type { KeyStore } from '../keys/key-store';
import { EmbeddedKeyStore } from '../keys/embedded/embedded-key-store';
import { openKeyVaultKeyStore } from '../keys/keyvault/create-keyvault-key-store';
import { createVaultCredential } from '../keys/keyvault/credential';
import { KeyVaultSecretStore } from '../keys/keyvault/keyvault-secret-store';
import { isHmac } from '../jwt/algorithms';

/** Chooses the key store from the settings: Key Vault when KEY_VAULT_URL is set, else embedded. */
export async function createKeyStore(config: AppConfig, clock: Clock, _logger: Logger): Promise<KeyStore> {
  if (config.keyVaultUrl && isHmac(config.alg)) return openKeyVaultSecretStore(config, clock);
  if (config.keyVaultUrl) return openKeyVaultKeyStore(config, clock);
  const store = new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: config.alg, clock });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} is not supported by the embedded key store.`);
  }
  return Promise.resolve(store);
}

/**
 * HS* in Key Vault: secret versions of JWT_KEY_NAME. Like keys, the first one is created only with
 * KEY_VAULT_CREATE_KEY=true; otherwise a missing secret stops start-up with what to do.
 */
async function openKeyVaultSecretStore(config: AppConfig, clock: Clock): Promise<KeyStore> {
  const store = new KeyVaultSecretStore({
    vaultUrl: config.keyVaultUrl ?? '',
    secretName: config.keyName,
    alg: config.alg,
    credential: createVaultCredential(config, process.env),
    disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
  });
  const versions = await store.listVersions().catch((error: unknown) => {
    if (error instanceof Error && (error as { failure?: string }).failure === 'not_found') return [];
    throw error;
  });
  if (versions.length > 0) return store;
  if (!config.keyVault.createKeyIfMissing) {
    throw new ConfigError(
      'JWT_KEY_NAME',
      `the HMAC secret '${config.keyName}' does not exist in the Key Vault. Set KEY_VAULT_CREATE_KEY=true to let the app create it (its identity then needs the Key Vault Secrets Officer role); secrets are never imported from settings.`,
    );
  }
  await store.createVersion({ notBefore: Math.floor(clock.nowMs() / 1000), tags: { origin: 'startup' } });
  return store;
}
