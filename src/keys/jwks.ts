import type { AppConfig } from '../config/settings';
import { isHmac } from '../algorithms';
import { DPOP_ALGORITHMS } from '../binding/dpop-algorithms';
import type { PublicJwk } from './key-store';
import type { PhasedKey } from './phases';

export interface Jwks {
  keys: PublicJwk[];
}

/**
 * Announced, active and retired keys: a verifier must know a key before it signs and until every
 * token it signed has expired. Disabled keys and HMAC secrets are never published.
 */
export function buildJwks(phased: readonly PhasedKey[]): Jwks {
  return {
    keys: phased
      .filter((p) => p.phase !== 'disabled' && p.version.publicJwk !== undefined)
      .map((p) => p.version.publicJwk as PublicJwk),
  };
}

/** OpenID Provider metadata, restricted to what this service does. */
export function buildDiscovery(config: AppConfig): Record<string, unknown> {
  const base = config.apiBaseUrl;
  return {
    issuer: config.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    // HS* tokens can only be checked by this service (or whoever holds the secret): nothing to
    // advertise to public verifiers, and the JWKS stays empty of HMAC keys.
    id_token_signing_alg_values_supported: isHmac(config.alg) ? [] : [config.alg],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    introspection_endpoint: `${base}/verify`,
    revocation_endpoint: `${base}/revoke`,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'cnf'],
    // Bound tokens: to a DPoP key (RFC 9449 §5.1) or to a client certificate (RFC 8705 §3.3).
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    tls_client_certificate_bound_access_tokens: true,
  };
}
