import type { CallerPermissions, Operation } from '../config/caller-policy';

/** Who is calling, after authentication. Built by an Authenticator, never from raw headers alone. */
export interface Caller {
  /** Entra object id (oid), lower-case, or "local-developer" with AUTH_MODE=none. */
  id: string;
  /** Application (client) id of the caller's token (azp/appid), when known. */
  appId?: string;
  permissions: CallerPermissions;
}

/** Request data an authenticator may read; functions/ builds it from the HTTP request. */
export interface AuthRequest {
  headers: ReadonlyMap<string, string> | { get(name: string): string | null | undefined };
}

export interface Authenticator {
  /**
   * The authenticated caller allowed to perform `operation`. Rejects with a ServiceError
   * `unauthorized` (401, the RFC 6750 challenge in details.wwwAuthenticate) or `forbidden` (403).
   */
  authenticate(request: AuthRequest, operation: Operation): Promise<Caller>;
}

/**
 * The audiences a verify (or revoke) call by this caller may accept: its own verify audiences that
 * this service issues for, narrowed to the one the request names. A token for any other audience
 * is `wrong_audience`, whatever it says: a caller never reads the claims of another API's tokens.
 */
export function audiencesToVerify(caller: Caller, issued: readonly string[], requested?: string): string[] {
  const own = caller.permissions.verifyAudiences.filter((aud) => issued.includes(aud));
  return requested === undefined ? own : own.filter((aud) => aud === requested);
}

/**
 * RFC 7009 §2.1: a client revokes its own tokens. Here that is a token issued to this caller
 * (`azp`) or addressed to an audience it may verify (its own API's tokens). Admins revoke anything
 * through /api/revocations.
 */
export function mayRevoke(caller: Caller, claims: Readonly<Record<string, unknown>>, issued: readonly string[]): boolean {
  if (claims.azp === caller.id) return true;
  const own = audiencesToVerify(caller, issued);
  const tokenAudiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  return tokenAudiences.some((aud) => typeof aud === 'string' && own.includes(aud));
}
