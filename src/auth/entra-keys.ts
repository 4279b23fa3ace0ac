import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock';

export interface TenantKeysOptions {
  /** Least time between two fetches caused by an unknown kid, and after a failed fetch. */
  cooldownMs: number;
  /** Keys older than this are fetched again before use. */
  maxAgeMs: number;
  /** How long to wait for the keys endpoint to answer. */
  timeoutMs: number;
}

/** Entra rolls its keys rarely and announces them ahead: a daily refresh, at most one extra fetch a minute. */
export const TENANT_KEYS_DEFAULTS: TenantKeysOptions = { cooldownMs: 60_000, maxAgeMs: 24 * 3600_000, timeoutMs: 5000 };

/** Raised when the tenant's keys were never fetched and the keys endpoint is failing (or cooling down after a failure). */
export class SigningKeysUnavailable extends Error {
  constructor() {
    super("The tenant's signing keys could not be fetched.");
    this.name = 'SigningKeysUnavailable';
  }
}

export function tenantKeysUrl(authorityHost: string, tenantId: string): URL {
  return new URL(`${authorityHost.replace(/\/+$/, '')}/${tenantId}/discovery/v2.0/keys`);
}

/** Answers about the token, not about the keys endpoint: they must not start a cool-down. */
function isTokenProblem(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;
}

/**
 * The tenant's token-signing keys, for jwtVerify. jose's remote key set caches them, refetches when
 * they are older than `maxAgeMs`, and on an unknown kid at most once per `cooldownMs` after a
 * successful fetch — so a flood of random kids can not become a flood of requests to
 * login.microsoftonline.com. Two things are added here:
 *
 * - a failed fetch starts a cool-down too (jose retries on the next call): a struggling endpoint
 *   sees one request per cool-down from us, not one per incoming token;
 * - during that cool-down the keys jose already holds keep being used, even past `maxAgeMs` (as
 *   Microsoft.IdentityModel's ConfigurationManager returns its current configuration when a
 *   refresh fails, IDX20806): an outage of the keys endpoint must not turn every caller away.
 *
 * A token without `kid` is refused: Entra always names the key, and jose would otherwise try the
 * token against every key of the set.
 */
export function tenantSigningKeys(url: URL, clock: Clock, options: TenantKeysOptions = TENANT_KEYS_DEFAULTS): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, { cooldownDuration: options.cooldownMs, cacheMaxAge: options.maxAgeMs, timeoutDuration: options.timeoutMs });
  let failedAtMs = Number.NEGATIVE_INFINITY;
  let lastKnown: JWTVerifyGetKey | undefined;

  return async (header, token) => {
    if (typeof header.kid !== 'string') throw new errors.JWKSNoMatchingKey();
    if (clock.nowMs() - failedAtMs >= options.cooldownMs) {
      try {
        return await remote(header, token);
      } catch (error: unknown) {
        if (isTokenProblem(error)) throw error;
        failedAtMs = clock.nowMs();
        lastKnown = undefined;
      }
    }
    lastKnown ??= lastKnownKeys(remote.jwks());
    return lastKnown(header, token);
  };
}

function lastKnownKeys(jwks: JSONWebKeySet | undefined): JWTVerifyGetKey {
  return jwks ? createLocalJWKSet(jwks) : () => Promise.reject(new SigningKeysUnavailable());
}
