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
