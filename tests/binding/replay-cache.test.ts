import { noReplayCache, replayCacheUnavailable, replayKey } from '../../src/binding/replay-cache';
import { ServiceError } from '../../src/errors';

/** The replay record's key, and the refusals when no shared store can vouch for a proof. */
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('replayKey', () => {
  it('is a SHA-256 of (jkt, jti), base64url: the same short key however long or odd the jti', () => {
    const key = replayKey(JKT, 'jti-1');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(replayKey(JKT, 'jti-1')).toBe(key);
    const odd = replayKey(JKT, `${'/'.repeat(5000)}#?\\\u0000'`);
    expect(odd).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('differs when either the key or the jti does', () => {
    const keys = new Set([replayKey(JKT, 'a'), replayKey(JKT, 'b'), replayKey(`${JKT.slice(0, -1)}Y`, 'a'), replayKey('', `${JKT}a`)]);
    expect(keys.size).toBe(4);
  });
});

describe('noReplayCache', () => {
  it('accepts no proof: 503 replay_cache_unavailable naming the missing storage, retry in a minute', async () => {
    const error = await noReplayCache.remember(JKT, 'jti', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'replay_cache_unavailable', status: 503, retryAfterSeconds: 60, message: expect.stringContaining('AzureWebJobsStorage or REVOCATION_TABLE_URL') });
  });
});

describe('replayCacheUnavailable', () => {
  it('is a 503 with Retry-After 5 s that keeps the cause for logs but never shows it', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.4:443 token=secret');
    const error = replayCacheUnavailable(cause);
    expect(error).toMatchObject({ code: 'replay_cache_unavailable', status: 503, retryAfterSeconds: 5, cause });
    expect(error.message).not.toContain('ECONNREFUSED');
    expect(error.message).not.toContain('secret');
  });
});
