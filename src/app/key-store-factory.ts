import { existsSync } from 'node:fs';
import type { Logger } from '../audit';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import type { AppConfig } from '../config/settings';
import type { EncryptionKeyStore, KeyStore } from '../keys/key-store';
import { EmbeddedKeyStore } from '../keys/embedded/embedded-key-store';
import { gitExposure } from '../keys/embedded/git-guard';
import { isHmac, KEY_WRAP_ALGORITHM } from '../algorithms';
import { keyVaultOutcome } from '../telemetry/keyvault-outcome';
import type { Metrics } from '../telemetry/metrics';
import type { VaultAttempt } from '../keys/keyvault/vault-transport';

/**
 * Chooses the key store from the settings: Key Vault when KEY_VAULT_URL is set, else the embedded
 * development store (config refuses that in Azure unless asked for). The Key Vault modules (and
 * @azure/identity under them, ~150 ms to load) are required only when they are used, so an
 * embedded-store start reaches its first answer without them.
 */
export async function createKeyStore(config: AppConfig, clock: Clock, logger: Logger, metrics?: Metrics): Promise<KeyStore> {
  const observe = metrics ? keyVaultAttemptRecorder(metrics) : undefined;
  if (config.keyVaultUrl && isHmac(config.alg)) {
    const { openKeyVaultSecretStore } = await import('../keys/keyvault/open-keyvault-secret-store');
    return openKeyVaultSecretStore(config, clock, observe);
  }
  if (config.keyVaultUrl) {
    const { openKeyVaultKeyStore } = await import('../keys/keyvault/create-keyvault-key-store');
    return openKeyVaultKeyStore(config, clock, { observe });
  }
  guardAgainstCommits(config.localKeystore.dir, logger);
  const store = new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: config.alg, rsaKeySize: config.rsaKeySize, clock });
  if (!store.isSupported(config.alg)) {
    throw new ConfigError('JWT_ALG', `${config.alg} is not supported by the embedded key store.`);
  }
  return store;
}

/**
 * The encryption key's store, wherever the signing key lives: a Key Vault key (JWT_ENCRYPTION_KEY_NAME,
 * also in HS* mode, whose signing secrets are Key Vault secrets) or the embedded store's own folder.
 * Its Key Vault attempts (unwrapKey, its listings and creations) are counted like the signing key's.
 */
export async function createEncryptionKeyStore(config: AppConfig, clock: Clock, metrics?: Metrics): Promise<EncryptionKeyStore> {
  if (config.keyVaultUrl) {
    const { openKeyVaultEncryptionKeyStore } = await import('../keys/keyvault/create-keyvault-key-store');
    return openKeyVaultEncryptionKeyStore(config, clock, { observe: metrics ? keyVaultAttemptRecorder(metrics) : undefined });
  }
  // The same folder as the signing key's: never created where git would commit it. The warning
  // for an existing exposed folder is the signing store's (one line per start, not two).
  guardAgainstCommits(config.localKeystore.dir, undefined);
  return new EmbeddedKeyStore({ dir: config.localKeystore.dir, secret: config.localKeystore.secret, alg: KEY_WRAP_ALGORITHM, rsaKeySize: config.rsaKeySize, clock });
}

/**
 * The embedded key folder must never be committed: a new folder is never created where git would
 * pick it up, and an existing one that git does not ignore is reported at every start (to `logger`).
 */
function guardAgainstCommits(dir: string, logger: Logger | undefined): void {
  if (gitExposure(dir) !== 'exposed') return;
  if (!existsSync(dir)) {
    throw new ConfigError('LOCAL_KEYSTORE_DIR', `"${dir}" would be created inside a git work tree without being ignored: private keys could be committed. Add it to .gitignore, or choose a folder outside the repository.`);
  }
  logger?.log('warn', 'keys.folder_not_ignored', { detail: 'LOCAL_KEYSTORE_DIR is inside a git work tree and not ignored: add it to .gitignore, its files are sealed private keys.' });
}

/** Every Key Vault HTTP attempt, counted with its operation, outcome, status and duration. */
export function keyVaultAttemptRecorder(metrics: Metrics): (attempt: VaultAttempt) => void {
  return (attempt) => metrics.keyVaultCall({ operation: attempt.operation, ...keyVaultOutcome(attempt), durationSeconds: attempt.durationMs / 1000 });
}
