import { ServiceError } from '../errors';

const REALM = 'kv-jwt';

/**
 * Why a bearer token was refused, as told to the client in `error_description`: a closed list of
 * fixed sentences, so nothing from the token (or from a library's error message) is ever echoed.
 */
export type InvalidTokenReason =
  | 'not a bearer JWT'
  | 'malformed'
  | 'unsupported algorithm'
  | 'unknown signing key'
  | 'signing keys unavailable'
  | 'bad signature'
  | 'no exp claim'
  | 'expired'
  | 'not yet valid'
  | 'wrong issuer'
  | 'wrong tenant'
  | 'wrong audience'
  | 'no oid claim'
  | 'the client principal headers name another caller';

/** 401 for a request without credentials: RFC 6750 §3.1 says no error code then. */
export function missingToken(): ServiceError {
  return new ServiceError('unauthorized', 'A bearer token is required.', { details: { wwwAuthenticate: `Bearer realm="${REALM}"` } });
}

/** 401 `invalid_token` (RFC 6750 §3.1) with a fixed description. */
export function invalidToken(reason: InvalidTokenReason): ServiceError {
  return new ServiceError('unauthorized', `The bearer token is not valid: ${reason}.`, {
    details: { wwwAuthenticate: `Bearer realm="${REALM}", error="invalid_token", error_description="${reason}"` },
  });
}
