/**
 * From a key store failure to the caller's answer (store-errors.ts): the store being down,
 * throttled or missing a role is the service's problem (503 with Retry-After), never the client's;
 * only the forbidden message (it names the missing role) reaches the caller.
 */
import { KeyStoreError, type KeyStoreFailure } from '../../src/keys/key-store';
import { keyStoreFailureToServiceError } from '../../src/keys/store-errors';

const ADAPTER_TEXT = "grant the 'Key Vault Crypto User' role";

describe('keyStoreFailureToServiceError', () => {
  it.each<[KeyStoreFailure, string, number]>([
    ['forbidden', 'key_store_forbidden', 503],
    ['throttled', 'key_store_unavailable', 503],
    ['unavailable', 'key_store_unavailable', 503],
    ['disabled', 'no_active_key', 503],
    ['not_found', 'no_active_key', 503],
    ['not_yet_valid', 'no_active_key', 503],
    ['expired', 'no_active_key', 503],
    ['bad_parameter', 'internal_error', 500],
    ['corrupt', 'internal_error', 500],
  ])('answers %s with %s (%i), keeping the store failure as the cause', (failure, code, status) => {
    const cause = new KeyStoreError(failure, ADAPTER_TEXT);
    const error = keyStoreFailureToServiceError(cause);
    expect({ code: error.code, status: error.status }).toEqual({ code, status });
    expect(error.cause).toBe(cause);
  });

  it("passes on the store's Retry-After, defaults to 5 s, and asks 60 s for a missing role", () => {
    const retryAfter = (failure: KeyStoreFailure, retryAfterSeconds?: number): number | undefined => keyStoreFailureToServiceError(new KeyStoreError(failure, 'x', { retryAfterSeconds })).retryAfterSeconds;
    expect(retryAfter('throttled', 17)).toBe(17);
    expect(retryAfter('unavailable')).toBe(5);
    expect(retryAfter('disabled', 3)).toBe(3);
    expect(retryAfter('expired')).toBe(5);
    expect(retryAfter('forbidden', 2)).toBe(60);
    expect(retryAfter('bad_parameter', 9)).toBeUndefined();
  });

  it('shows the caller the role a forbidden store names, and no other adapter text', () => {
    expect(keyStoreFailureToServiceError(new KeyStoreError('forbidden', ADAPTER_TEXT)).message).toBe(ADAPTER_TEXT);
    for (const failure of ['throttled', 'unavailable', 'disabled', 'not_found', 'bad_parameter', 'corrupt'] as const) {
      expect(keyStoreFailureToServiceError(new KeyStoreError(failure, ADAPTER_TEXT)).message).not.toContain('Crypto User');
    }
  });

  it('treats anything that is not a KeyStoreError as the store being unreachable, without its message', () => {
    const cause = new TypeError('socket hang up at 10.0.0.4 with token eyJ...');
    const error = keyStoreFailureToServiceError(cause);
    expect([error.code, error.status, error.retryAfterSeconds, error.cause]).toEqual(['key_store_unavailable', 503, 5, cause]);
    expect(error.message).not.toContain('eyJ');
  });
});
