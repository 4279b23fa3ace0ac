import { hash } from 'node:crypto';
import type { Clock } from '../clock';

export interface VerdictCacheOptions {
  /** Most tokens remembered; the least recently used is forgotten first. */
  maxEntries: number;
  /** Longest a verdict is remembered, whatever the token's exp: bounds how late a key Entra withdrew is noticed. */
  maxAgeMs: number;
  /** A verdict ends this long before the token's exp, so a clock behind by up to this much never uses one past the real exp. */
  expiryMarginMs: number;
}

/** 10,000 callers' tokens is far more than a deployment has; 10 minutes bounds how stale a verdict may be. */
export const VERDICT_CACHE_DEFAULTS: VerdictCacheOptions = { maxEntries: 10_000, maxAgeMs: 10 * 60_000, expiryMarginMs: 300_000 };

/** The cache key of a token: its SHA-256, so the cache never holds a usable credential. */
export function verdictKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * Verdicts on tokens that passed validation, for a while. A Logic App presents the same managed
 * identity token for hours; checking its signature once per token instead of once per call is the
 * whole saving. Only successes are stored (the caller stores them), each until
 * min(exp − margin, stored + maxAge), and at most `maxEntries` of them (LRU on a Map's insertion order).
 */
export class VerdictCache<T extends { expiresAtMs: number }> {
  private readonly entries = new Map<string, { value: T; untilMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly options: VerdictCacheOptions = VERDICT_CACHE_DEFAULTS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.clock.nowMs() >= entry.untilMs) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry.value;
  }

  set(key: string, value: T): void {
    const now = this.clock.nowMs();
    const untilMs = Math.min(value.expiresAtMs - this.options.expiryMarginMs, now + this.options.maxAgeMs);
    if (untilMs <= now) return;
    this.entries.delete(key);
    this.entries.set(key, { value, untilMs });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
