/** Builds the Key Vault key store from the settings (KEY_VAULT_URL set). */
import { nowSeconds, type Clock } from '../../clock';
import type { AppConfig } from '../../config/settings';
import { ConfigError } from '../../errors';
import { createVaultCredential } from './credential';
import { ensureKeyExists } from './ensure-key';
import { KeyVaultKeyStore } from './keyvault-key-store';
import type { RetryPolicy, VaultAttempt } from './vault-transport';

export interface KeyVaultStoreOverrides {
  /** Tighter retry bounds (tests); production uses the defaults in vault-transport.ts. */
  retry?: Partial<RetryPolicy>;
  /** Told of every HTTP attempt (telemetry). */
  observe?: (attempt: VaultAttempt) => void;
}

export function createKeyVaultKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): KeyVaultKeyStore {
  if (!config.keyVaultUrl) throw new ConfigError('KEY_VAULT_URL', 'is not set.');
  const store = new KeyVaultKeyStore({
    vaultUrl: config.keyVaultUrl,
    keyName: config.keyName,
    alg: config.alg,
    rsaKeySize: config.rsaKeySize,
    credential: createVaultCredential(config),
    disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
    retry: overrides.retry,
    clock,
    observe: overrides.observe,
  });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} (HMAC) keys are Key Vault secrets, not keys: use an RS*, PS* or ES* algorithm with the Key Vault key store.`);
  }
  return store;
}

/** Creates the store and makes sure its key exists (see ensure-key.ts). */
export async function openKeyVaultKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): Promise<KeyVaultKeyStore> {
  const store = createKeyVaultKeyStore(config, clock, overrides);
  await ensureKeyExists(store, { createIfMissing: config.keyVault.createKeyIfMissing, nowSeconds: nowSeconds(clock), keySize: config.rsaKeySize });
  return store;
}
