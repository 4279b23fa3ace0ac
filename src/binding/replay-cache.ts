import { createHash } from 'node:crypto';
import { ServiceError } from '../errors';

export type ReplayVerdict = 'fresh' | 'replayed';

/**
 * Where used DPoP proofs are remembered until they expire, shared by every instance: a proof
 * replayed on another instance is refused there too (RFC 9449 §11.1).
 */
export interface ReplayCache {
  /**
   * Records the proof (its key's thumbprint and its jti) until `expiresAt` (Unix seconds):
   * 'fresh' the first time, 'replayed' after that. Rejects with `replay_cache_unavailable` when the
   * shared store can not be asked: a proof is never taken unchecked.
   */
  remember(jkt: string, jti: string, expiresAt: number): Promise<ReplayVerdict>;
  /** Lets background work (a sweep of expired records) finish. */
  close?(): Promise<void>;
}

/**
 * The record's key: a hash of (jkt, jti), so attacker-chosen jti characters never reach a table key
 * and every key has the same short length. jti is unique per key (RFC 9449 §4.2), so the pair is.
 */
export function replayKey(jkt: string, jti: string): string {
  return createHash('sha256').update(jkt).update('\n').update(jti).digest('base64url');
}

export function replayCacheUnavailable(cause?: unknown): ServiceError {
  return new ServiceError('replay_cache_unavailable', 'The DPoP replay store could not be reached, so the proof could not be checked; try again.', { retryAfterSeconds: 5, cause });
}

/** No Table Storage configured: DPoP proofs can not be checked across instances, so none is accepted. */
export const noReplayCache: ReplayCache = {
  remember: () =>
    Promise.reject(
      new ServiceError('replay_cache_unavailable', 'DPoP proofs can not be checked: no Table Storage is configured (AzureWebJobsStorage or REVOCATION_TABLE_URL).', { retryAfterSeconds: 60 }),
    ),
};
