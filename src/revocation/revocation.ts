/** What the verifier needs to know about a token to decide whether it was revoked. */
export interface RevocationSubject {
  jti?: string;
  sub?: string;
  /** Unix seconds. */
  iat?: number;
}

/**
 * A synchronous, in-memory view of revocations, kept fresh in the background so the verify hot
 * path never waits on storage. It fails closed: when it can not be trusted (never loaded since
 * start, or staler than its bound) `isRevoked` throws ServiceError `revocation_unavailable` (503)
 * rather than answer "not revoked".
 */
export interface RevocationView {
  isRevoked(token: RevocationSubject): boolean;
}

export interface RevocationHealth {
  /** The view has been loaded and is within its staleness bound. */
  ready: boolean;
  /** Milliseconds since the view last caught up with storage. */
  stalenessMs?: number;
  detail?: string;
}

export interface RevocationService extends RevocationView {
  /** Revokes one token by jti until `expires` (Unix seconds). */
  revokeToken(jti: string, expires: number, by: string): Promise<void>;
  /** Revokes every token of `sub` issued at or before `before`; a cut-off only moves later. Returns the cut-off in force. */
  revokeSubject(sub: string, before: number, by: string): Promise<number>;
  /** Revokes every token issued at or before `before` (the big red button); only moves later. Returns the cut-off in force. */
  revokeAllBefore(before: number, by: string): Promise<number>;
  health(): RevocationHealth;
  /** Deletes entries whose tokens have all expired, and change-log rows no instance needs any more; returns how many. */
  removeExpired(): Promise<number>;
  /** Stops background refresh (tests, shutdown). */
  close(): Promise<void>;
}

/** Used until a store is configured: nothing is revoked. */
export const noRevocations: RevocationView = { isRevoked: () => false };
