import { isRestError } from '@azure/core-rest-pipeline';
import type { KeyVaultOutcome } from './metrics';

/** The code our per-attempt deadline gives its RestError (src/keys/keyvault/vault-failure.ts ATTEMPT_TIMED_OUT). */
const ATTEMPT_TIMED_OUT = 'KVJWT_ATTEMPT_TIMEOUT';

/**
 * One Key Vault attempt's outcome for `Metrics.keyVaultCall`, from what the transport saw: the
 * vault's answer (its status), or the error that took its place.
 */
export function keyVaultOutcome(attempt: { status?: number; error?: unknown }): { outcome: KeyVaultOutcome; status?: number } {
  const { status, error } = attempt;
  if (error !== undefined) {
    if (isRestError(error) && error.code === ATTEMPT_TIMED_OUT) return { outcome: 'timeout' };
    if (error instanceof Error && error.name === 'AbortError') return { outcome: 'timeout' };
    if (isRestError(error) && error.statusCode === undefined) return { outcome: 'network' };
    return { outcome: 'other' };
  }
  if (status === undefined) return { outcome: 'other' };
  if (status < 400) return { outcome: 'ok', status };
  if (status === 429) return { outcome: 'throttled', status };
  return { outcome: status >= 500 ? 'server_error' : 'client_error', status };
}
