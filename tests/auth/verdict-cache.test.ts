import { createHash } from 'node:crypto';
import { VERDICT_CACHE_DEFAULTS, VerdictCache, verdictKey } from '../../src/auth/verdict-cache';
import { ManualClock } from '../../src/clock';

const HOUR = 3600_000;

describe('verdictKey', () => {
  it("is the token's SHA-256, never the token", () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(verdictKey(token)).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(verdictKey(token)).not.toContain('eyJ');
  });
});

describe('VerdictCache', () => {
  it('remembers a verdict until min(exp − margin, now + maxAge), then forgets it', () => {
    const clock = new ManualClock(1_000_000);
    const cache = new VerdictCache<{ expiresAtMs: number }>(clock, { maxEntries: 10, maxAgeMs: 600_000, expiryMarginMs: 300_000 });
    const short = { expiresAtMs: clock.nowMs() + 400_000 };
    const long = { expiresAtMs: clock.nowMs() + 24 * HOUR };
    cache.set('short', short);
    cache.set('long', long);
    clock.advance(99_999);
    expect(cache.get('short')).toBe(short);
    clock.advance(1); // exp − 300 s
    expect(cache.get('short')).toBeUndefined();
    clock.advance(499_999);
    expect(cache.get('long')).toBe(long);
    clock.advance(1); // stored + 10 min
    expect(cache.get('long')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store a verdict that would end at once (a token within the margin of its exp)', () => {
    const clock = new ManualClock(1_000_000);
    const cache = new VerdictCache<{ expiresAtMs: number }>(clock);
    cache.set('late', { expiresAtMs: clock.nowMs() + VERDICT_CACHE_DEFAULTS.expiryMarginMs });
    expect(cache.size).toBe(0);
  });

  it('holds at most 10,000 entries by default, forgetting the least recently used', () => {
    const clock = new ManualClock(1_000_000);
    const cache = new VerdictCache<{ expiresAtMs: number; n: number }>(clock);
    const expiresAtMs = clock.nowMs() + HOUR;
    cache.set(verdictKey('token-0'), { expiresAtMs, n: 0 });
    for (let n = 1; n < 10_000; n += 1) cache.set(verdictKey(`token-${n}`), { expiresAtMs, n });
    expect(cache.get(verdictKey('token-0'))?.n).toBe(0); // used: now the most recent
    for (let n = 10_000; n < 10_050; n += 1) cache.set(verdictKey(`token-${n}`), { expiresAtMs, n });
    expect(cache.size).toBe(10_000);
    expect(cache.get(verdictKey('token-0'))?.n).toBe(0);
    for (let n = 1; n <= 50; n += 1) expect(cache.get(verdictKey(`token-${n}`))).toBeUndefined();
    expect(cache.get(verdictKey('token-51'))?.n).toBe(51);
    expect(cache.get(verdictKey('token-10049'))?.n).toBe(10_049);
  });

  it('replaces the verdict of a token stored twice without growing', () => {
    const clock = new ManualClock(1_000_000);
    const cache = new VerdictCache<{ expiresAtMs: number }>(clock);
    const second = { expiresAtMs: clock.nowMs() + HOUR };
    cache.set('k', { expiresAtMs: clock.nowMs() + HOUR });
    cache.set('k', second);
    expect(cache.size).toBe(1);
    expect(cache.get('k')).toBe(second);
  });
});
