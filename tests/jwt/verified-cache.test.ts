import { VerifiedTokenCache, weightOf } from '../../src/jwt/verified-cache';
import type { SignedPayload } from '../../src/jwt/verify';

const options = { maxEntries: 3, maxWeight: 1024 * 1024, maxTokenChars: 200 };

function token(n: number, tail = `signature-of-token-number-${n}`): string {
  return `header.payload-${n}.${tail}`;
}

function signed(n: number): SignedPayload {
  const claims = { sub: `user-${n}`, scopes: ['read'] };
  return { claims, payloadJson: JSON.stringify(claims), kid: 'k1', alg: 'RS256' };
}

function admitTwice(cache: VerifiedTokenCache, n: number, generation = 0): void {
  cache.admit(token(n), signed(n), generation);
  cache.admit(token(n), signed(n), generation);
}

describe('VerifiedTokenCache', () => {
  it('stores a token the second time it is offered, not the first (one-hit wonders cost no hashing)', () => {
    const cache = new VerifiedTokenCache(options);
    cache.admit(token(1), signed(1), 0);
    expect(cache.find(token(1))).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.admit(token(1), signed(1), 7);
    expect(cache.find(token(1))?.entry).toMatchObject({ signed: signed(1), generation: 7 });
  });

  it('finds exactly the token that was stored: one character anywhere else is another token', () => {
    const cache = new VerifiedTokenCache(options);
    admitTwice(cache, 1);
    const original = token(1);
    for (const other of [`${original}x`, original.replace('header', 'headex'), original.replace('payload-1', 'payload-2'), `X${original.slice(1)}`]) {
      expect(cache.find(other)).toBeUndefined();
    }
    // Same last characters (the signature's), another token: looked up by hash and not found.
    expect(cache.find(token(2, 'signature-of-token-number-1'))).toBeUndefined();
    expect(cache.find(original)).toBeDefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new VerifiedTokenCache(options);
    for (const n of [1, 2, 3]) admitTwice(cache, n);
    expect(cache.find(token(1))).toBeDefined(); // 1 becomes the most recent
    admitTwice(cache, 4);
    expect(cache.size).toBe(3);
    expect(cache.find(token(2))).toBeUndefined();
    for (const n of [1, 3, 4]) expect(cache.find(token(n))).toBeDefined();
  });

  it('keeps the entries’ weight under maxWeight, and never takes an entry heavier than all of it', () => {
    const light = signed(1);
    const cache = new VerifiedTokenCache({ ...options, maxEntries: 100, maxWeight: weightOf(light.payloadJson) * 2 });
    for (const n of [1, 2, 3]) admitTwice(cache, n);
    expect(cache.size).toBe(2);
    expect(cache.weight).toBeLessThanOrEqual(weightOf(light.payloadJson) * 2);
    const heavy = { ...light, payloadJson: JSON.stringify({ pad: 'x'.repeat(1000) }) };
    cache.admit(token(9), heavy, 0);
    cache.admit(token(9), heavy, 0);
    expect(cache.find(token(9))).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('weighs wide characters and many small values more than plain text', () => {
    const plain = weightOf(JSON.stringify({ name: 'a'.repeat(300) }));
    expect(weightOf(JSON.stringify({ name: '\u65e5'.repeat(300) }))).toBeGreaterThan(plain);
    expect(weightOf(JSON.stringify(Array.from({ length: 100 }, () => 0)))).toBeGreaterThan(weightOf(JSON.stringify('0'.repeat(200))));
  });

  it('takes no token longer than maxTokenChars', () => {
    const cache = new VerifiedTokenCache(options);
    const long = `${token(1)}${'x'.repeat(200)}`;
    expect(cache.accepts(long)).toBe(false);
    cache.admit(long, signed(1), 0);
    cache.admit(long, signed(1), 0);
    expect(cache.size).toBe(0);
  });

  it('forgets an entry on request', () => {
    const cache = new VerifiedTokenCache(options);
    admitTwice(cache, 1);
    const hit = cache.find(token(1));
    cache.forget(hit?.digest ?? '');
    expect(cache.find(token(1))).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.weight).toBe(0);
  });

  it('freezes what it hands out, so no caller can change the next caller’s claims', () => {
    const cache = new VerifiedTokenCache(options);
    admitTwice(cache, 1);
    const claims = cache.find(token(1))?.entry.signed.claims as { scopes: string[] };
    expect(() => claims.scopes.push('admin')).toThrow(TypeError);
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('keeps no token in memory: only a SHA-256 digest and a number read from its last characters', () => {
    const cache = new VerifiedTokenCache(options);
    const secretish = token(5, 'a-long-signature-segment-that-must-not-be-kept-whole');
    cache.admit(secretish, signed(5), 0);
    cache.admit(secretish, signed(5), 0);
    const internals = cache as unknown as Record<string, unknown>;
    const keys = Object.values(internals).flatMap((member) => (member instanceof Map || member instanceof Set ? [...(member.keys() as Iterable<unknown>)] : []));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      // Digests (32 characters of SHA-256) and numbers read from the last characters: nothing of the token itself.
      expect(typeof key === 'number' || (typeof key === 'string' && key.length === 32 && !secretish.includes(key))).toBe(true);
    }
  });

  it('refuses limits that would make it unbounded', () => {
    expect(() => new VerifiedTokenCache({ maxEntries: 0, maxWeight: 1, maxTokenChars: 1 })).toThrow(RangeError);
    expect(() => new VerifiedTokenCache({ maxEntries: 1, maxWeight: Number.NaN, maxTokenChars: 1 })).toThrow(RangeError);
  });
});
