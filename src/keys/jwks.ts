import type { AppConfig } from '../config/settings';
import { isHmac, type KeyWrapAlgorithm } from '../algorithms';
import { DPOP_ALGORITHMS } from '../algorithms';
import type { PublicJwk } from './key-store';
import type { KeyPhase, PhasedKey } from './phases';

export interface Jwks {
  keys: Array<PublicJwk | PublicJwk<KeyWrapAlgorithm>>;
}

/** Encryption keys in the order a sender should prefer them: the current one first. */
const ENCRYPTION_ORDER: Readonly<Record<KeyPhase, number>> = { active: 0, announced: 1, retired: 2, disabled: 3 };

/**
 * Signing keys (`use: "sig"`): announced, active and retired — a verifier must know a key before
 * it signs and until every token it signed has expired. Encryption keys (`use: "enc"`,
 * `RSA-OAEP-256`): the same phases, each of which still unwraps, with the active one first so that
 * a sender taking the first `enc` key encrypts to the current one. Disabled keys and HMAC secrets
 * are never published.
 */
export function buildJwks(signing: readonly PhasedKey[], encryption: readonly PhasedKey<KeyWrapAlgorithm>[] = []): Jwks {
  const published = <A extends PhasedKey | PhasedKey<KeyWrapAlgorithm>>(p: A): boolean => p.phase !== 'disabled' && p.version.publicJwk !== undefined;
  const encryptionKeys = encryption
    .filter(published)
    .sort((a, b) => ENCRYPTION_ORDER[a.phase] - ENCRYPTION_ORDER[b.phase] || b.activatesAt - a.activatesAt)
    .map((p) => p.version.publicJwk as PublicJwk<KeyWrapAlgorithm>);
  return { keys: [...signing.filter(published).map((p) => p.version.publicJwk as PublicJwk), ...encryptionKeys] };
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
