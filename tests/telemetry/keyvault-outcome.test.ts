import { RestError } from '@azure/core-rest-pipeline';
import { keyVaultOutcome } from '../../src/telemetry/keyvault-outcome';

describe('keyVaultOutcome', () => {
  it('names success, throttling, client and server errors with their status', () => {
    expect(keyVaultOutcome({ status: 200 })).toEqual({ outcome: 'ok', status: 200 });
    expect(keyVaultOutcome({ status: 429 })).toEqual({ outcome: 'throttled', status: 429 });
    expect(keyVaultOutcome({ status: 403 })).toEqual({ outcome: 'client_error', status: 403 });
    expect(keyVaultOutcome({ status: 503 })).toEqual({ outcome: 'server_error', status: 503 });
  });

  it('names attempts without an answer by what took its place', () => {
    expect(keyVaultOutcome({ error: new RestError('late', { code: 'KVJWT_ATTEMPT_TIMEOUT' }) })).toEqual({ outcome: 'timeout' });
    expect(keyVaultOutcome({ error: Object.assign(new Error('aborted'), { name: 'AbortError' }) })).toEqual({ outcome: 'timeout' });
    expect(keyVaultOutcome({ error: new RestError('reset', { code: 'ECONNRESET' }) })).toEqual({ outcome: 'network' });
    expect(keyVaultOutcome({ error: new Error('odd') })).toEqual({ outcome: 'other' });
  });

  it('counts any answer below 400 as ok, and an attempt with neither answer nor error as other', () => {
    expect(keyVaultOutcome({ status: 204 })).toEqual({ outcome: 'ok', status: 204 });
    expect(keyVaultOutcome({ status: 399 })).toEqual({ outcome: 'ok', status: 399 });
    expect(keyVaultOutcome({ status: 400 })).toEqual({ outcome: 'client_error', status: 400 });
    expect(keyVaultOutcome({ status: 500 })).toEqual({ outcome: 'server_error', status: 500 });
    expect(keyVaultOutcome({})).toEqual({ outcome: 'other' });
  });

  it('names an attempt by its error when there is one, whatever status came with it', () => {
    expect(keyVaultOutcome({ status: 200, error: new RestError('late', { code: 'KVJWT_ATTEMPT_TIMEOUT' }) })).toEqual({ outcome: 'timeout' });
    // A RestError with a status is an answer the SDK turned into an error: not a network failure.
    expect(keyVaultOutcome({ error: new RestError('Forbidden', { statusCode: 403 }) })).toEqual({ outcome: 'other' });
  });
});
