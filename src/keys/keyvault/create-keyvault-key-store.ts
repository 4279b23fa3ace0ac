/** Builds the Key Vault key stores from the settings (KEY_VAULT_URL set): the signing key and the encryption key. */
import type { TokenCredential } from '@azure/identity';
import { KEY_WRAP_ALGORITHM, type KeyAlgorithm, type KeyWrapAlgorithm } from '../../algorithms';
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
  /** One credential for both keys, so its token cache serves both. */
  credential?: TokenCredential;
  /** Told of every HTTP attempt (telemetry). */
  observe?: (attempt: VaultAttempt) => void;
}

/** One key of the vault in KEY_VAULT_URL, with what every key store of the app shares. */
function storeForKey<A extends KeyAlgorithm>(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides, key: { name: string; alg: A }): KeyVaultKeyStore<A> {
  if (!config.keyVaultUrl) throw new ConfigError('KEY_VAULT_URL', 'is not set.');
  return new KeyVaultKeyStore({
    vaultUrl: config.keyVaultUrl,
    keyName: key.name,
    alg: key.alg,
    rsaKeySize: config.rsaKeySize,
    credential: overrides.credential ?? createVaultCredential(config),
    disableChallengeResourceVerification: config.keyVault.disableChallengeResourceVerification,
    retry: overrides.retry,
    clock,
    observe: overrides.observe,
  });
}

export function createKeyVaultKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): KeyVaultKeyStore {
  const store = storeForKey(config, clock, overrides, { name: config.keyName, alg: config.alg });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} (HMAC) keys are Key Vault secrets, not keys: use an RS*, PS* or ES* algorithm with the Key Vault key store.`);
  }
  return store;
}

/** The encryption key (JWT_ENCRYPTION_KEY_NAME): RSA of JWT_KEY_SIZE bits, RSA-OAEP-256, wrapKey/unwrapKey only. */
export function createKeyVaultEncryptionKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): KeyVaultKeyStore<KeyWrapAlgorithm> {
  return storeForKey(config, clock, overrides, { name: config.encryption.keyName, alg: KEY_WRAP_ALGORITHM });
}

async function ensured<A extends KeyAlgorithm>(store: KeyVaultKeyStore<A>, config: AppConfig, clock: Clock): Promise<KeyVaultKeyStore<A>> {
  await ensureKeyExists(store, { createIfMissing: config.keyVault.createKeyIfMissing, nowSeconds: nowSeconds(clock), keySize: config.rsaKeySize });
  return store;
}

/** Creates the store and makes sure its key exists (see ensure-key.ts). */
export function openKeyVaultKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): Promise<KeyVaultKeyStore> {
  return ensured(createKeyVaultKeyStore(config, clock, overrides), config, clock);
}

/** Creates the encryption key's store and makes sure the key exists (created only with KEY_VAULT_CREATE_KEY=true). */
export function openKeyVaultEncryptionKeyStore(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): Promise<KeyVaultKeyStore<KeyWrapAlgorithm>> {
  return ensured(createKeyVaultEncryptionKeyStore(config, clock, overrides), config, clock);
}
