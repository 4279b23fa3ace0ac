import type { VaultErrorInfo } from '../keys/keyvault/vault-error';
import type { KeyVaultOutcome } from './metrics';

/**
 * A Key Vault attempt's outcome for `Metrics.keyVaultCall`, from what retry.ts already knows
 * (`describeVaultError`): nothing (success), or the failure's kind and HTTP status.
 */
export function keyVaultOutcome(failure?: VaultErrorInfo): { outcome: KeyVaultOutcome; status?: number } {
  if (failure === undefined) return { outcome: 'ok', status: 200 };
  switch (failure.kind) {
    case 'http': {
      const status = failure.status;
      if (status === 429) return { outcome: 'throttled', status };
      return { outcome: status !== undefined && status >= 500 ? 'server_error' : 'client_error', status };
    }
    case 'timeout':
    case 'network':
    case 'credential':
      return { outcome: failure.kind };
    default:
      return { outcome: 'other' };
  }
}
