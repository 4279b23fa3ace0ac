/**
 * Asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.3 step 5): never none, never HMAC.
 * Discovery advertises the same list (dpop_signing_alg_values_supported).
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;
