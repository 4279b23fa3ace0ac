/**
 * Why a token is inactive: the `error` field of a `{ "active": false }` verify answer. A closed
 * list, stable across releases; clients and the Logic App branch on it.
 */
export const VERIFY_ERROR_CODES = [
  'malformed', // not three strict base64url segments of JSON objects
  'token_too_large',
  'unsupported_alg', // alg missing, "none", or not one this service issues
  'alg_mismatch', // alg differs from the algorithm of the key the kid names
  'unsupported_crit', // crit names an extension we do not understand
  'wrong_type', // typ present and not JWT
  'unknown_key', // kid missing or not in the key ring
  'key_disabled', // the key was disabled (retention over, or emergency rotation)
  'bad_signature',
  'missing_claim', // exp or iat absent or not a number
  'expired',
  'not_yet_valid', // nbf (or iat) in the future beyond the clock skew
  'wrong_issuer',
  'wrong_audience',
  'revoked',
  'key_not_active', // iat outside the window in which its key signed (announced or already retired)
  'binding_required', // the token carries cnf but the request brings no certificate / DPoP proof for it
  'binding_mismatch', // the certificate or the proof's key is not the one the token is bound to
  'dpop_invalid', // the DPoP proof fails a check of RFC 9449 §4.3 (shape, signature, htm, htu, iat, ath)
  'dpop_replayed', // the DPoP proof was used before (on any instance)
  // Encrypted tokens (a 5-segment JWE around a signed JWT):
  'unsupported_enc', // enc other than A256GCM / A128GCM
  'unsupported_header', // a JWE header member this service refuses (zip, jku, jwk, x5u, x5c, p2c, epk, …)
  'decrypt_failed', // the content key did not unwrap or the ciphertext did not authenticate: one code for both
  'wrong_content_type', // cty is not JWT, or the decrypted payload is not a signed JWT (e.g. a JWE in a JWE)
] as const;

export type VerifyErrorCode = (typeof VERIFY_ERROR_CODES)[number];
