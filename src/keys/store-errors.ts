import { ServiceError } from '../errors';
import { isKeyStoreError } from './key-store';

const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Turns a key store failure into the HTTP answer for a caller: the store being down, throttled or
 * missing a role is the service's problem (503 with Retry-After), never the client's.
 */
export function keyStoreFailureToServiceError(error: unknown): ServiceError {
  if (!isKeyStoreError(error)) {
    return new ServiceError('key_store_unavailable', 'The key store could not be reached.', {
      retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  const retryAfterSeconds = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  switch (error.failure) {
    case 'forbidden':
      // The message names the missing role; it comes from the adapter and holds no secret.
      return new ServiceError('key_store_forbidden', error.message, { retryAfterSeconds: 60, cause: error });
    case 'throttled':
    case 'unavailable':
      return new ServiceError('key_store_unavailable', 'The key store is unavailable; try again shortly.', {
        retryAfterSeconds,
        cause: error,
      });
    case 'disabled':
    case 'not_found':
    case 'not_yet_valid':
    case 'expired':
      return new ServiceError('no_active_key', 'No signing key is usable right now; try again shortly.', {
        retryAfterSeconds,
        cause: error,
      });
    case 'bad_parameter':
    case 'corrupt':
      return new ServiceError('internal_error', 'The key store rejected the operation.', { cause: error });
  }
}
