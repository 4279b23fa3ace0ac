import type { JwtClaims } from '../jwt/claims';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The RFC 7662 answer for an active token: `"active": true` and the token's claims, as JSON text.
 * The payload's own JSON text is reused when it can be: the signature has just proven that this
 * service's signer wrote those bytes (one JSON.stringify of a plain object, so no duplicate names,
 * no whitespace), and copying the claims into a new object only to serialise them again cost more
 * than the rest of building the answer. Whatever does not look like that text — an `active` claim
 * of the token's own, an empty or oddly spaced object — is answered the ordinary way, with the
 * service's `active` winning.
 */
export function activeIntrospectionJson(claims: JwtClaims, payloadJson: string): string {
  const reusable =
    payloadJson.charCodeAt(0) === OPEN_BRACE &&
    payloadJson.charCodeAt(1) !== CLOSE_BRACE &&
    payloadJson.charCodeAt(payloadJson.length - 1) === CLOSE_BRACE &&
    !Object.prototype.hasOwnProperty.call(claims, 'active');
  return reusable ? `{"active":true,${payloadJson.slice(1)}` : JSON.stringify({ ...claims, active: true });
}
