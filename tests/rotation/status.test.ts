import { ServiceError } from '../../src/errors';
import { RotationStatus } from '../../src/rotation/status';

/** What an instance remembers of its own rotation runs, for /api/health. */
describe('RotationStatus', () => {
  it('knows nothing before the first run', () => {
    expect({ ...new RotationStatus() }).toEqual({});
  });

  it('records a failure with its code and message, keeping the time of the last success', () => {
    const status = new RotationStatus();
    status.recordSuccess(1000, { created: 'k1' });
    status.recordFailure(2000, new ServiceError('key_store_unavailable', 'The key store is unavailable.'));
    expect(status).toMatchObject({ lastRunMs: 2000, lastSuccessMs: 1000, lastCreated: 'k1', lastFailure: { atMs: 2000, code: 'key_store_unavailable', message: 'The key store is unavailable.' } });
  });

  it('clears the failure on the next success, and keeps the last created kid when a run creates nothing', () => {
    const status = new RotationStatus();
    status.recordSuccess(1000, { created: 'k1' });
    status.recordFailure(2000, new ServiceError('key_store_forbidden', 'no role'));
    status.recordSuccess(3000, {});
    expect(status.lastFailure).toBeUndefined();
    expect(status).toMatchObject({ lastRunMs: 3000, lastSuccessMs: 3000, lastCreated: 'k1' });
    status.recordSuccess(4000, { created: 'k2' });
    expect(status.lastCreated).toBe('k2');
  });
});
