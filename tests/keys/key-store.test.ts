/** The store-independent failure (key-store.ts): what a caller can rely on in a KeyStoreError. */
import { isKeyStoreError, KeyStoreError } from '../../src/keys/key-store';

describe('KeyStoreError', () => {
  it('carries its failure, its name, the Retry-After hint and the cause it was given', () => {
    const cause = new Error('underlying');
    const error = new KeyStoreError('throttled', 'Key Vault is throttling sign.', { retryAfterSeconds: 7, cause });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.failure, error.message, error.retryAfterSeconds, error.cause]).toEqual(['KeyStoreError', 'throttled', 'Key Vault is throttling sign.', 7, cause]);
  });

  it('has no cause and no Retry-After unless given (a missing cause is not an undefined one)', () => {
    const error = new KeyStoreError('not_found', 'no such version');
    expect(error.retryAfterSeconds).toBeUndefined();
    expect('cause' in error).toBe(false);
  });
});

describe('isKeyStoreError', () => {
  it('recognises KeyStoreError instances only, not look-alikes', () => {
    expect(isKeyStoreError(new KeyStoreError('corrupt', 'x'))).toBe(true);
    expect(isKeyStoreError(Object.assign(new Error('x'), { name: 'KeyStoreError', failure: 'corrupt' }))).toBe(false);
    expect(isKeyStoreError({ failure: 'corrupt' })).toBe(false);
    expect(isKeyStoreError(undefined)).toBe(false);
  });
});
