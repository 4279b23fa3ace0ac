/**
 * Bounded retries for Key Vault calls. The SDK's own retry is switched off (it does not retry a
 * 429 without Retry-After, which is how Key Vault usually throttles, and its delays are too long
 * for a request path); instead every attempt has a deadline (abortSignal) and transient failures
 * are retried with exponential backoff and full jitter, bounded in attempts and in total time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyStoreError } from '../key-store';
import { describeVaultError, isTransient } from './vault-error';
import type { VaultErrorInfo } from './vault-error';
import { toKeyStoreError } from './failure-mapping';
import type { FailureSubject } from './failure-mapping';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Deadline of one attempt (token fetch and HTTP call). */
  attemptTimeoutMs: number;
  /** Upper bound of the whole call, retries and waits included. */
  totalBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  attemptTimeoutMs: 5000,
  totalBudgetMs: 10000,
};

/** Full jitter: a uniform delay in [0, min(max, base·2^attempt)], so a crowd of callers spreads out. */
export function backoffDelayMs(policy: RetryPolicy, retryIndex: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.round(ceiling * random());
}

/**
 * Whether another attempt is safe: any transient failure for idempotent calls; for a create only a
 * 429, which the vault refused before doing anything (after a timeout or a dropped connection the
 * version may exist already, and a blind retry would make a second one).
 */
function worthRetrying(info: VaultErrorInfo, idempotent: boolean): boolean {
  if (!isTransient(info)) return false;
  return idempotent || (info.kind === 'http' && info.status === 429);
}

/**
 * Runs `call` with a signal that aborts after `ms`, as AbortSignal.timeout would, but its timer is
 * cleared as soon as the call settles: AbortSignal.timeout leaves one timer per call alive for the
 * whole deadline (thousands at a few hundred signs per second), each tied to a weak reference.
 */
async function withDeadline<T>(ms: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref(); // like AbortSignal.timeout's: a pending deadline alone keeps no process alive
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

export async function withRetries<T>(
  subject: FailureSubject,
  policy: RetryPolicy,
  call: (abortSignal: AbortSignal) => Promise<T>,
  idempotent = true,
): Promise<T> {
  const started = performance.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      // An attempt gets at most what is left of the budget, so the whole call stays bounded.
      const remaining = policy.totalBudgetMs - (performance.now() - started);
      return await withDeadline(Math.max(1, Math.ceil(Math.min(policy.attemptTimeoutMs, remaining))), call);
    } catch (error: unknown) {
      const info = describeVaultError(error);
      const failure: KeyStoreError = toKeyStoreError(info, subject, error);
      if (!worthRetrying(info, idempotent) || attempt >= policy.maxAttempts) throw failure;
      // A Retry-After from the vault wins over our own backoff when it fits the budget.
      const wait = info.retryAfterSeconds !== undefined ? info.retryAfterSeconds * 1000 : backoffDelayMs(policy, attempt - 1);
      if (performance.now() - started + wait >= policy.totalBudgetMs) throw failure;
      await sleep(wait);
    }
  }
}
