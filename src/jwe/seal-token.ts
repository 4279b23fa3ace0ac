import { CompactEncrypt } from 'jose';
import { ISSUED_CONTENT_ENCRYPTION, KEY_WRAP_ALGORITHM } from '../algorithms';
import type { RecipientKey } from './audience-keys';

/**
 * A nested JWT (RFC 7519 §5.2, §7.1): the signed JWT as the plaintext of a compact JWE to the
 * recipient's public key — RSA-OAEP-256 wraps a fresh content key, A256GCM encrypts, `cty: "JWT"`
 * says a JWT is inside, `kid` names the recipient's key. jose does the JWE; wrapping to a public
 * key is local, so encrypting costs no Key Vault call.
 */
export function sealToken(signedJwt: string, recipient: RecipientKey): Promise<string> {
  return new CompactEncrypt(Buffer.from(signedJwt, 'ascii'))
    .setProtectedHeader({ alg: KEY_WRAP_ALGORITHM, enc: ISSUED_CONTENT_ENCRYPTION, cty: 'JWT', kid: recipient.kid })
    .encrypt(recipient.key);
}
