import { createDecipheriv } from 'node:crypto';
import { CONTENT_ENCRYPTION, GCM_TAG_LENGTH } from '../algorithms';
import type { ParsedJwe } from './compact-jwe';

/**
 * AES-GCM content decryption (RFC 7516 §5.2 steps 14–16, RFC 7518 §5.3) with node:crypto: the
 * ASCII protected header segment as additional authenticated data, the 128-bit tag checked by
 * OpenSSL before anything is returned. Undefined when the tag does not authenticate — for a wrong
 * content key, a changed header, ciphertext, IV or tag alike.
 */
export function decryptContent(parsed: ParsedJwe, contentKey: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv(CONTENT_ENCRYPTION[parsed.enc].cipher, contentKey, parsed.iv, { authTagLength: GCM_TAG_LENGTH });
    decipher.setAAD(Buffer.from(parsed.protectedSegment, 'ascii'));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}
