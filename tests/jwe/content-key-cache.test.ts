import { ManualClock } from '../../src/clock';
import { ContentKeyCache } from '../../src/jwe/content-key-cache';

const key = (n: number): Buffer => Buffer.alloc(32, n);

describe('content key cache', () => {
  it('unwraps once per encrypted key, shares one unwrap between concurrent lookups, and keys by version too', async () => {
    const cache = new ContentKeyCache(new ManualClock(0), { maxEntries: 10, maxAgeMs: 60_000 });
    let unwraps = 0;
    const unwrap = (): Promise<Buffer> => {
      unwraps += 1;
      return Promise.resolve(key(1));
    };
    const id = ContentKeyCache.keyOf('kid-a', 'encrypted-key');
    await Promise.all([cache.get(id, unwrap), cache.get(id, unwrap), cache.get(id, unwrap)]);
    expect(await cache.get(id, unwrap)).toEqual(key(1));
    expect(unwraps).toBe(1);
    expect(ContentKeyCache.keyOf('kid-b', 'encrypted-key')).not.toBe(id);
    expect(ContentKeyCache.keyOf('kid-a', 'encrypted-keyX')).not.toBe(id);
  });

  it('keeps nothing past the token: maxAge bounds every entry, expireBy shortens one to its token', async () => {
    const clock = new ManualClock(0);
    const cache = new ContentKeyCache(clock, { maxEntries: 10, maxAgeMs: 60_000 });
    let unwraps = 0;
    const unwrap = (): Promise<Buffer> => Promise.resolve(key((unwraps += 1)));
    await cache.get('a', unwrap);
    clock.advance(59_999);
    await cache.get('a', unwrap);
    expect(unwraps).toBe(1);
    clock.advance(1);
    await cache.get('a', unwrap);
    expect(unwraps).toBe(2);
    cache.expireBy('a', clock.nowMs() + 5_000);
    cache.expireBy('a', clock.nowMs() + 50_000); // never lengthened
    clock.advance(5_000);
    await cache.get('a', unwrap);
    expect(unwraps).toBe(3);
  });

  it('does not keep a failed unwrap (a store outage is tried again next time)', async () => {
    const cache = new ContentKeyCache(new ManualClock(0), { maxEntries: 10, maxAgeMs: 60_000 });
    await expect(cache.get('a', () => Promise.reject(new Error('outage')))).rejects.toThrow('outage');
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.size).toBe(0);
    expect(await cache.get('a', () => Promise.resolve(key(2)))).toEqual(key(2));
  });

  it('is bounded: the least recently used entry goes first, expired ones are swept as lookups pass', async () => {
    const clock = new ManualClock(0);
    const cache = new ContentKeyCache(clock, { maxEntries: 3, maxAgeMs: 60_000 });
    const calls: string[] = [];
    const unwrapFor = (id: string) => (): Promise<Buffer> => {
      calls.push(id);
      return Promise.resolve(key(calls.length));
    };
    for (const id of ['a', 'b', 'c']) await cache.get(id, unwrapFor(id));
    await cache.get('a', unwrapFor('a')); // a is now the most recently used
    await cache.get('d', unwrapFor('d')); // evicts b
    expect(cache.size).toBe(3);
    await cache.get('a', unwrapFor('a'));
    await cache.get('b', unwrapFor('b'));
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'b']);
    clock.advance(60_000);
    await cache.get('e', unwrapFor('e'));
    expect(cache.size).toBeLessThanOrEqual(3);
  });
});
