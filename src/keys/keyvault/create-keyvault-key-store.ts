/** Builds the Key Vault key store from the settings (KEY_VAULT_URL set). */
import type { Clock } from '../../clock';
import type { AppConfig, Environment } from '../../config/settings';
import { ConfigError } from '../../errors';
import { createVaultCredential } from './credential';
import { KeyVaultKeyStore } from './keyvault-key-store';
import type { RetryPolicy } from './retry';
import { ensureKeyExists } from './ensure-key';
import { nowSeconds } from '../../clock';

export interface KeyVaultStoreOverrides {
  /** Tighter retry bounds (tests); production uses the defaults in retry.ts. */
  retry?: Partial<RetryPolicy>;
  env?: Environment;
}

export function createKeyVaultKeyStore(config: AppConfig, _clock: Clock, overrides: KeyVaultStoreOverrides = {}): KeyVaultKeyStore {
  if (!config.keyVaultUrl) throw new ConfigError('KEY_VAULT_URL', 'is not set.');
  const store = new KeyVaultKeyStore({
    vaultUrl: config.keyVaultUrl,
    keyName: config.keyName,
    alg: config.alg,
    credential: createVaultCredential(config, overrides.env ?? process.env),
    disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
    retry: overrides.retry,
  });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} (HMAC) keys are Key Vault secrets, not keys: use an RS*, PS* or ES* algorithm with the Key Vault key store.`);
  }
  return store;
}

/** Creates the store and makes sure its key exists (see ensure-key.ts). */
export async function openKeyVaultKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): Promise<KeyVaultKeyStore> {
  const store = createKeyVaultKeyStore(config, clock, overrides);
  await ensureKeyExists(store, { createIfMissing: config.keyVault.createKeyIfMissing, nowSeconds: nowSeconds(clock) });
  return store;
}
