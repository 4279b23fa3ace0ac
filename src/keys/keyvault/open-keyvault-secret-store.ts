import type { Clock } from '../../clock';
import type { AppConfig } from '../../config/settings';
import { ConfigError } from '../../errors';
import type { KeyStore } from '../key-store';
import { createVaultCredential } from './credential';
import { KeyVaultSecretStore } from './keyvault-secret-store';
import type { VaultAttempt } from './vault-transport';

/**
 * HS* in Key Vault: secret versions of JWT_KEY_NAME. Like keys, the first one is created only with
 * KEY_VAULT_CREATE_KEY=true; otherwise a missing secret stops start-up with what to do.
 */
export async function openKeyVaultSecretStore(config: AppConfig, clock: Clock, observe?: (attempt: VaultAttempt) => void): Promise<KeyStore> {
  const store = new KeyVaultSecretStore({
    vaultUrl: config.keyVaultUrl ?? '',
    secretName: config.keyName,
    alg: config.alg,
    credential: createVaultCredential(config),
    clock,
    observe,
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
