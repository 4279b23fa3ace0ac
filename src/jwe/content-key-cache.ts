import { createHash } from 'node:crypto';
import type { Clock } from '../clock';

interface Entry {
  contentKey: Promise<Buffer>;
  expiresAtMs: number;
}

export interface ContentKeyCacheOptions {
  /** Entries kept at most; the least recently used one goes first. */
  maxEntries: number;
  /** No entry outlives this, whatever its token says: the longest a token can live (JWT_MAX_TTL + skew). */
  maxAgeMs: number;
}

/**
 * Unwrapped content keys, so re-verifying a token costs no Key Vault call: keyed by a SHA-256 of
 * the encryption key version and the encrypted key segment (the same content key wrapped to another
 * version is another entry), bounded (LRU), and expiring no later than the token it came with. The
 * promise is cached, not the value, so concurrent verifies of one new token share one unwrap.
 *
 * An encrypted key that did not unwrap is cached too, with the random stand-in the opener decrypted
 * with (RFC 7516 §11.5): a repeat costs no call and looks exactly like a repeat of a good token.
 */
export class ContentKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock, private readonly options: ContentKeyCacheOptions) {}

  static keyOf(kid: string, encryptedKeySegment: string): string {
    return createHash('sha256').update(kid).update('.').update(encryptedKeySegment).digest('base64url');
  }

  /** The cached content key, or the one `unwrap` produces (then cached). A rejected unwrap is not kept. */
  get(key: string, unwrap: () => Promise<Buffer>): Promise<Buffer> {
    const now = this.clock.nowMs();
    this.dropOldestIfExpired(now);
    const cached = this.entries.get(key);
    if (cached && cached.expiresAtMs > now) {
      this.entries.delete(key);
      this.entries.set(key, cached); // most recently used last
      return cached.contentKey;
    }
    if (cached) this.entries.delete(key);
    const contentKey = unwrap();
    this.entries.set(key, { contentKey, expiresAtMs: now + this.options.maxAgeMs });
    contentKey.catch(() => {
      if (this.entries.get(key)?.contentKey === contentKey) this.entries.delete(key);
    });
    this.evictLeastRecentlyUsed();
    return contentKey;
  }

  /** Shortens an entry's life to its token's: a content key is never kept past the token's exp. */
  expireBy(key: string, atMs: number): void {
    const entry = this.entries.get(key);
    if (entry && atMs < entry.expiresAtMs) entry.expiresAtMs = atMs;
  }

  get size(): number {
    return this.entries.size;
  }

  /** One step of sweeping per lookup: expired content keys do not linger in memory until evicted. */
  private dropOldestIfExpired(now: number): void {
    const oldest = this.entries.entries().next();
    if (!oldest.done && oldest.value[1].expiresAtMs <= now) this.entries.delete(oldest.value[0]);
  }

  /** Expired entries are also dropped when next asked for, or age out of the LRU order. */
  private evictLeastRecentlyUsed(): void {
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
