import { ERROR_STATUS, ServiceError, toProblem, toServiceError } from '../src/errors';
import { keyStoreFailureToServiceError } from '../src/keys/store-errors';
import { KeyStoreError, type KeyStoreFailure } from '../src/keys/key-store';

describe('errors', () => {
  it('maps every code to an RFC 9457 problem with a stable type', () => {
    for (const code of Object.keys(ERROR_STATUS) as Array<keyof typeof ERROR_STATUS>) {
      const problem = toProblem(new ServiceError(code, 'Something specific.'));
      expect(problem).toMatchObject({ type: `urn:kv-jwt:error:${code}`, status: ERROR_STATUS[code], code, detail: 'Something specific.' });
      expect(typeof problem.title).toBe('string');
    }
  });

  it('hides unexpected errors behind a generic 500 without their message', () => {
    const error = toServiceError(new TypeError('secret-ish detail from input'));
    expect(error.code).toBe('internal_error');
    expect(toProblem(error).detail).not.toContain('secret-ish');
  });

  it.each<[KeyStoreFailure, string, number]>([
    ['forbidden', 'key_store_forbidden', 503],
    ['throttled', 'key_store_unavailable', 503],
    ['unavailable', 'key_store_unavailable', 503],
    ['disabled', 'no_active_key', 503],
    ['not_yet_valid', 'no_active_key', 503],
    ['bad_parameter', 'internal_error', 500],
  ])('maps a key store failure %s to %s with Retry-After', (failure, code, status) => {
    const error = keyStoreFailureToServiceError(new KeyStoreError(failure, 'Key Vault Crypto User role is missing', { retryAfterSeconds: 7 }));
    expect({ code: error.code, status: error.status }).toEqual({ code, status });
    if (status === 503) expect(error.retryAfterSeconds).toBeGreaterThan(0);
  });
});
