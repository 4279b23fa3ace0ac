import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { parseCompactJwe, type ParsedJwe } from '../../src/jwe/compact-jwe';
import { decryptContent } from '../../src/jwe/content-decryption';
import { craftJwe, flipBit, joseJwe, withSegment } from '../support/jwe';

/**
 * decryptContent: AES-GCM with the protected header segment as additional authenticated data and
 * the 128-bit tag checked before anything is returned; one answer (undefined) for every change.
 */
const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PLAINTEXT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function parsed(token: string): ParsedJwe {
  const result = parseCompactJwe(token, 16 * 1024);
  if (!('protectedSegment' in result)) throw new Error(`unexpected refusal ${result.error}`);
  return result;
}
function crafted(enc: 'A256GCM' | 'A128GCM' = 'A256GCM'): { jwe: ParsedJwe; token: string; contentKey: Buffer } {
  const { token, contentKey } = craftJwe({ header: { alg: 'RSA-OAEP-256', enc, cty: 'JWT', kid: 'k1' }, plaintext: PLAINTEXT, publicKey });
  return { jwe: parsed(token), token, contentKey };
}

describe('decryptContent', () => {
  it.each(['A256GCM', 'A128GCM'] as const)('returns the plaintext of %s content under the right key', (enc) => {
    const { jwe, contentKey } = crafted(enc);
    expect(decryptContent(jwe, contentKey)?.toString('ascii')).toBe(PLAINTEXT);
  });

  it('opens what jose (an honest partner\'s library) encrypted, given the content key', async () => {
    // jose chooses and wraps its own content key; a `dir`-free way to learn it is to encrypt to our key and unwrap.
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await joseJwe(PLAINTEXT, pair.publicKey, 'k1');
    const jwe = parsed(token);
    const contentKey = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, jwe.encryptedKey);
    expect(decryptContent(jwe, contentKey)?.toString('ascii')).toBe(PLAINTEXT);
  });

  it('answers undefined for a wrong content key, also one of the wrong length', () => {
    const { jwe, contentKey } = crafted();
    expect(decryptContent(jwe, randomBytes(32))).toBeUndefined();
    expect(decryptContent(jwe, contentKey.subarray(0, 16))).toBeUndefined();
  });

  it.each([
    ['the IV', 2],
    ['the ciphertext', 3],
    ['the tag', 4],
  ])('answers undefined when one bit of %s changed', (_name, index) => {
    const { token, contentKey } = crafted();
    expect(decryptContent(parsed(withSegment(token, index, flipBit(token.split('.')[index], 1))), contentKey)).toBeUndefined();
  });

  it('answers undefined for another protected header, even one that says the same in another order (the exact bytes are authenticated)', () => {
    const { jwe, contentKey } = crafted();
    const segment = (header: Record<string, string>): string => Buffer.from(JSON.stringify(header)).toString('base64url');
    expect(decryptContent({ ...jwe, protectedSegment: segment({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'k2' }) }, contentKey)).toBeUndefined();
    expect(decryptContent({ ...jwe, protectedSegment: segment({ enc: 'A256GCM', alg: 'RSA-OAEP-256', cty: 'JWT', kid: 'k1' }) }, contentKey)).toBeUndefined();
  });

  it('answers undefined for a truncated tag rather than checking fewer bits', () => {
    const { jwe, contentKey } = crafted();
    expect(decryptContent({ ...jwe, tag: jwe.tag.subarray(0, 12) }, contentKey)).toBeUndefined();
    expect(decryptContent({ ...jwe, tag: Buffer.alloc(0) }, contentKey)).toBeUndefined();
  });
});
