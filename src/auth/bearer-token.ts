import { invalidToken, missingToken } from './challenge';

/**
 * Scheme (case-insensitive, RFC 7235 §2.1), one space, one compact JWS. RFC 6750 would allow more
 * spaces; Entra clients send one, and anything looser only widens what a parser must agree on.
 */
const BEARER_JWS = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * The token of an `Authorization: Bearer <jws>` header. No header is a plain challenge; any other
 * shape (empty, `Basic`, two tokens, extra spaces, a JWE) is `invalid_token`. Whitespace around
 * the whole value is not part of it (RFC 9110 §5.5: HTTP parsers strip it too).
 */
export function bearerToken(authorization: string | null | undefined): string {
  if (authorization === undefined || authorization === null) throw missingToken();
  const match = BEARER_JWS.exec(authorization.trim());
  if (!match) throw invalidToken('not a bearer JWT');
  return match[1];
}
