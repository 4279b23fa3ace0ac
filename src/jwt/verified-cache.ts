import { hash } from 'node:crypto';
import type { SignedPayload } from './verify';

/**
 * Tokens whose signature this process has already checked, so that a token presented again (an API
 * behind API Management sees one caller's token on every call until it expires) skips parsing and
 * the signature, and nothing else: the verifier re-judges every hit (src/jwt/verify.ts
 * `judgeSignedClaims`). Same idea as Envoy's `jwt_cache_config`.
 *
 * - Keyed by SHA-256 of the whole token: a token that differs in any character, its signature
 *   included, is another entry, and no bearer token is kept in memory.
 * - Only what a checked signature vouches for is stored (the payload as signed, its kid and alg),
 *   together with the key ring generation of that kid at the time; callers admit nothing else.
 * - Bounded: at most `maxEntries` entries and `maxWeight` bytes of them, least recently used out
 *   first; tokens longer than `maxTokenChars` are never admitted. An entry's weight is an upper
 *   bound of the heap it holds (`weightOf`), checked against measured heap for adversarial payload
 *   shapes in tests/jwt/verified-cache-memory.test.ts.
 * - A token is admitted the second time it is verified, not the first: a stream of distinct tokens
 *   (one-hit wonders) then costs a short string lookup each instead of a SHA-256 and an eviction.
 *   The "seen once" set keeps a few characters of each token's signature, never a token.
 */
export interface VerifiedTokenCacheOptions {
  maxEntries: number;
  /** Bytes: the sum of the entries' weights stays at or under it. */
  maxWeight: number;
  maxTokenChars: number;
}

/**
 * At most 32 MiB of heap, whatever the payloads. This service's own tokens (~700 characters: about
 * 1 KiB of heap each, weighed at 2–3 KiB) fill the 10,000 entries first, at about 10 MiB.
 */
export const DEFAULT_VERIFIED_CACHE: VerifiedTokenCacheOptions = { maxEntries: 10_000, maxWeight: 32 * 1024 * 1024, maxTokenChars: 4_096 };

const ENTRY_OVERHEAD_BYTES = 1024;
const BYTES_PER_CHAR = 4;
const BYTES_PER_WIDE_CHAR = 10;
const BYTES_PER_JSON_VALUE = 64;

/**
 * An upper bound of the heap an entry holds: its fixed part (digest, tail, map slot, objects), the
 * payload text and what was parsed from it, at twice the room when any character is beyond
 * Latin-1 (V8 then stores two bytes a character), and for every JSON value (one per `:`, `,`, `[`
 * or `{`, and more where a string holds them) a property slot or array element.
 */
export function weightOf(payloadJson: string): number {
  let values = 1;
  let wide = false;
  for (let i = 0; i < payloadJson.length; i += 1) {
    const code = payloadJson.charCodeAt(i);
    if (code === 0x3a || code === 0x2c || code === 0x5b || code === 0x7b) values += 1;
    else if (code > 0xff) wide = true;
  }
  return ENTRY_OVERHEAD_BYTES + (wide ? BYTES_PER_WIDE_CHAR : BYTES_PER_CHAR) * payloadJson.length + BYTES_PER_JSON_VALUE * values;
}

/** The last characters of a token (of its signature): enough to tell tokens apart without hashing. */
const TAIL_CHARS = 24;

export interface CachedVerification {
  readonly signed: SignedPayload;
  /** RingKey.generation of the kid when the signature was checked. */
  readonly generation: number;
}

interface Entry extends CachedVerification {
  readonly tail: string;
  readonly weight: number;
}

export interface CacheHit {
  readonly digest: string;
  readonly entry: CachedVerification;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}

export class VerifiedTokenCache {
  /** Digest → entry, least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly entries = new Map<string, Entry>();
  /** Tails of the cached tokens (with a count: distinct tokens may share one), checked before any hashing. */
  private readonly cachedTails = new Map<string, number>();
  /** Tails of tokens verified once and not cached yet, oldest first; as bounded as the entries. */
  private readonly seenOnce = new Set<string>();
  private totalWeight = 0;

  constructor(readonly options: VerifiedTokenCacheOptions = DEFAULT_VERIFIED_CACHE) {
    if (!(options.maxEntries >= 1) || !(options.maxWeight >= 1) || !(options.maxTokenChars >= 1)) throw new RangeError('The verified-token cache needs maxEntries, maxWeight and maxTokenChars ≥ 1.');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the entries' weights (bytes, an upper bound of the heap they hold). */
  get weight(): number {
    return this.totalWeight;
  }

  /** Whether a token of this length may be cached at all. */
  accepts(token: string): boolean {
    return token.length <= this.options.maxTokenChars;
  }

  /** The entry of exactly this token, if cached; it becomes the most recently used. */
  find(token: string): CacheHit | undefined {
    if (!this.cachedTails.has(token.slice(-TAIL_CHARS))) return undefined;
    const digest = digestOf(token);
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    this.entries.delete(digest);
    this.entries.set(digest, entry);
    return { digest, entry };
  }

  /**
   * Offers a token whose signature was just checked against the kid's key of `generation`. The
   * first offer only remembers the token's tail; the second stores it. The payload is frozen: every
   * later hit hands out the same objects.
   */
  admit(token: string, signed: SignedPayload, generation: number): void {
    if (!this.accepts(token)) return;
    const tail = token.slice(-TAIL_CHARS);
    if (!this.seenOnce.delete(tail) && !this.cachedTails.has(tail)) {
      this.seenOnce.add(tail);
      if (this.seenOnce.size > this.options.maxEntries) this.seenOnce.delete(this.seenOnce.values().next().value as string);
      return;
    }
    const weight = weightOf(signed.payloadJson);
    if (weight > this.options.maxWeight) return;
    const digest = digestOf(token);
    this.remove(digest);
    deepFreeze(signed);
    this.entries.set(digest, { signed, generation, tail, weight });
    this.totalWeight += weight;
    this.cachedTails.set(tail, (this.cachedTails.get(tail) ?? 0) + 1);
    while (this.entries.size > this.options.maxEntries || this.totalWeight > this.options.maxWeight) this.remove(this.entries.keys().next().value as string);
  }

  /** Drops an entry (its verdict turned, or its key changed). */
  forget(digest: string): void {
    this.remove(digest);
  }

  private remove(digest: string): void {
    const entry = this.entries.get(digest);
    if (entry === undefined) return;
    this.entries.delete(digest);
    this.totalWeight -= entry.weight;
    const count = (this.cachedTails.get(entry.tail) ?? 1) - 1;
    if (count > 0) this.cachedTails.set(entry.tail, count);
    else this.cachedTails.delete(entry.tail);
  }
}

/** SHA-256 of the whole token, as a 32-character binary string (the shortest Map key). */
function digestOf(token: string): string {
  return hash('sha256', token, 'binary');
}
