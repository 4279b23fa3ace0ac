/** What the verifier needs to know about a token to decide whether it was revoked. */
export interface RevocationSubject {
  jti?: string;
  sub?: string;
  /** Unix seconds. */
  iat?: number;
}

/**
 * A synchronous, in-memory view of revocations, kept fresh in the background so the verify hot
 * path never waits on storage.
 */
export interface RevocationView {
  isRevoked(token: RevocationSubject): boolean;
}

export interface RevocationHealth {
  ready: boolean;
  /** Milliseconds since the view last synchronised with storage. */
  stalenessMs?: number;
  detail?: string;
}

export interface RevocationService extends RevocationView {
  /** Revokes one token by jti until `expires` (Unix seconds). */
  revokeToken(jti: string, expires: number, by: string): Promise<void>;
  /** Revokes every token of `sub` issued before `before` (Unix seconds). */
  revokeSubject(sub: string, before: number, by: string): Promise<void>;
  /** Revokes every token issued before `before` (Unix seconds): the big red button. */
  revokeAllBefore(before: number, by: string): Promise<void>;
  health(): RevocationHealth;
  /** Deletes entries whose tokens have all expired; returns how many. */
  removeExpired(): Promise<number>;
  /** Stops background refresh (tests, shutdown). */
  close(): Promise<void>;
}

/** Used until a store is configured: nothing is revoked. */
export const noRevocations: RevocationView = { isRevoked: () => false };
