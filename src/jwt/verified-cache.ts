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
 *   (one-hit wonders) then costs a small-integer lookup each instead of a SHA-256 and an eviction.
 *   The "seen once" set keeps a number read from a few characters of each token's signature.
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
 * payload text and what was parsed from it, with more room when any character is beyond Latin-1
 * (V8 then stores two bytes a character), and for every JSON value (one per `:`, `,`, `[`
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

/**
 * Characters at the end of a token (of its signature) read into a number: 30 bits, a small integer
 * V8 keeps unboxed, that tell tokens apart without hashing. Two tokens sharing one cost a SHA-256
 * more, or an admission one sighting early; the digest alone decides what is found.
 */
const TAIL_CHARS = 5;

/**
 * A number, not a `slice()`: V8 keeps a sliced string's whole parent alive, and the "seen once" set
 * would then hold thousands of bearer tokens.
 */
function tailOf(token: string): number {
  let tail = 0;
  for (let i = Math.max(0, token.length - TAIL_CHARS); i < token.length; i += 1) tail = (tail << 6) | (token.charCodeAt(i) & 0x3f);
  return tail;
}

export interface CachedVerification {
  readonly signed: SignedPayload;
  /** RingKey.generation of the kid when the signature was checked. */
  readonly generation: number;
}

/** An entry, linked into the recency list (a Map used as a queue slows down: see `VerifiedTokenCache`). */
interface Entry extends CachedVerification {
  readonly digest: string;
  readonly tail: number;
  readonly weight: number;
  newer: Entry | undefined;
  older: Entry | undefined;
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

/**
 * Recency is a doubly linked list through the entries and "seen once" a ring of slots, both O(1):
 * evicting the oldest key of a Map or Set (`keys().next()`) walks over the holes its earlier
 * deletions left, which cost several microseconds per call once it is full (measured).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();
  private newest: Entry | undefined;
  private oldest: Entry | undefined;
  /** Tails of the cached tokens (with a count: distinct tokens may share one), checked before any hashing. */
  private readonly cachedTails = new Map<number, number>();
  /** Tails of tokens verified once and not cached yet; `seenSlots` remembers the order to forget them in. */
  private readonly seenOnce = new Set<number>();
  private readonly seenSlots: Int32Array;
  private seenNext = 0;
  private totalWeight = 0;

  constructor(readonly options: VerifiedTokenCacheOptions = DEFAULT_VERIFIED_CACHE) {
    if (!(options.maxEntries >= 1) || !(options.maxWeight >= 1) || !(options.maxTokenChars >= 1)) throw new RangeError('The verified-token cache needs maxEntries, maxWeight and maxTokenChars ≥ 1.');
    this.seenSlots = new Int32Array(options.maxEntries).fill(-1);
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
    if (!this.cachedTails.has(tailOf(token))) return undefined;
    const digest = digestOf(token);
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.pushNewest(entry);
    }
    return { digest, entry };
  }

  /**
   * Offers a token whose signature was just checked against the kid's key of `generation`. The
   * first offer only remembers the token's tail; the second stores it. The payload is frozen: every
   * later hit hands out the same objects.
   */
  admit(token: string, signed: SignedPayload, generation: number): void {
    if (!this.accepts(token)) return;
    const tail = tailOf(token);
    if (!this.seenOnce.delete(tail) && !this.cachedTails.has(tail)) {
      this.rememberSeen(tail);
      return;
    }
    const weight = weightOf(signed.payloadJson);
    if (weight > this.options.maxWeight) return;
    const digest = digestOf(token);
    this.remove(digest);
    deepFreeze(signed);
    const entry: Entry = { digest, signed, generation, tail, weight, newer: undefined, older: undefined };
    this.entries.set(digest, entry);
    this.pushNewest(entry);
    this.totalWeight += weight;
    this.cachedTails.set(tail, (this.cachedTails.get(tail) ?? 0) + 1);
    while (this.oldest !== undefined && (this.entries.size > this.options.maxEntries || this.totalWeight > this.options.maxWeight)) this.remove(this.oldest.digest);
  }

  /** Drops an entry (its verdict turned, or its key changed). */
  forget(digest: string): void {
    this.remove(digest);
  }

  private rememberSeen(tail: number): void {
    const evicted = this.seenSlots[this.seenNext];
    if (evicted >= 0) this.seenOnce.delete(evicted);
    this.seenSlots[this.seenNext] = tail;
    this.seenNext = (this.seenNext + 1) % this.seenSlots.length;
    this.seenOnce.add(tail);
  }

  private pushNewest(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    this.newest = entry;
    this.oldest ??= entry;
  }

  private unlink(entry: Entry): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    entry.newer = entry.older = undefined;
  }

  private remove(digest: string): void {
    const entry = this.entries.get(digest);
    if (entry === undefined) return;
    this.entries.delete(digest);
    this.unlink(entry);
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
