/**
 * Wires the real Key Vault adapter to a running double the way production does: settings parsed by
 * loadConfig, the managed identity through IDENTITY_ENDPOINT / IDENTITY_HEADER (so the real
 * ManagedIdentityCredential fetches tokens from the double), a 127.0.0.1 vault URL with challenge
 * resource verification off, and tight retry bounds so failure tests stay short.
 */
import { systemClock } from '../../../src/clock';
import type { Clock } from '../../../src/clock';
import { loadConfig } from '../../../src/config/settings';
import type { AppConfig, Environment } from '../../../src/config/settings';
import { createKeyVaultKeyStore } from '../../../src/keys/keyvault/create-keyvault-key-store';
import type { KeyVaultKeyStore } from '../../../src/keys/keyvault/keyvault-key-store';
import type { RetryPolicy } from '../../../src/keys/keyvault/vault-transport';
import type { KeyVaultDouble } from './index';
import { loadTestCaModule } from './test-ca';

/**
 * Short backoff so fault tests run quickly, but the production per-attempt timeout: the double generates
 * a fresh RSA key on every create (100-700 ms here, seconds when the 2 cores are shared), and a 2-second
 * attempt made creates time out under load. Tests of timeouts set their own.
 */
export const FAST_RETRY: Partial<RetryPolicy> = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, attemptTimeoutMs: 5000, totalBudgetMs: 10000 };

let keyCounter = 0;
export function uniqueKeyName(prefix = 'jwt-signing'): string {
  keyCounter += 1;
  return `${prefix}-${process.pid}-${keyCounter}`;
}

/** Fails fast, with the fix, when this process does not trust the test CA. */
export function assertTestCaTrusted(): void {
  if (!loadTestCaModule().isTestCaTrusted(process.env)) {
    throw new Error('The Key Vault double needs the test CA: run the tests with `npm test` (it sets NODE_EXTRA_CA_CERTS to .test-certs/extra-ca-bundle.pem), or set it yourself after `node tests/support/tls/make-test-ca.js`.');
  }
}

/** Points this process's managed identity at the double (the SDK reads these variables itself). */
export function useDoubleManagedIdentity(vault: KeyVaultDouble): void {
  process.env.IDENTITY_ENDPOINT = vault.identityEndpoint;
  process.env.IDENTITY_HEADER = vault.identityHeader;
}

export function doubleConfig(vault: KeyVaultDouble, keyName: string, extra: Environment = {}): AppConfig {
  return loadConfig({ ...vault.environment(keyName), ...extra });
}

export function storeOnDouble(
  vault: KeyVaultDouble,
  keyName: string,
  options: { env?: Environment; retry?: Partial<RetryPolicy>; clock?: Clock } = {},
): KeyVaultKeyStore {
  useDoubleManagedIdentity(vault);
  const config = doubleConfig(vault, keyName, options.env);
  return createKeyVaultKeyStore(config, options.clock ?? systemClock, { retry: options.retry ?? FAST_RETRY });
}
