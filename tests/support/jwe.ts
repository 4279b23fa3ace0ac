import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';

/**
 * Test-side JWE making, independent of the service's own sealing: `joseJwe` is what an honest
 * partner's library produces; `craftJwe` writes the compact serialization by hand with node:crypto
 * so that a test can give it any header, IV, encrypted key or ciphertext (attacks included).
 */
export async function joseJwe(plaintext: string, key: KeyObject, kid: string, options: { enc?: 'A256GCM' | 'A128GCM'; header?: Record<string, unknown> } = {}): Promise<string> {
  return new CompactEncrypt(Buffer.from(plaintext))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: options.enc ?? 'A256GCM', cty: 'JWT', kid, ...(options.header ?? {}) })
    .encrypt(key);
}

export interface CraftOptions {
  header: Record<string, unknown>;
  plaintext: string;
  /** The recipient's public key; the content key is wrapped to it with RSA-OAEP-256. */
  publicKey: KeyObject;
  /** 16 for A128GCM, 32 for A256GCM (default: what header.enc needs). */
  contentKey?: Buffer;
  /** Replaces the wrapped content key (e.g. one wrapped to another key). */
  encryptedKey?: Buffer;
  iv?: Buffer;
}

export interface CraftedJwe {
  token: string;
  contentKey: Buffer;
  segments: string[];
}

const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url');

export function wrapRsaOaep256(publicKey: KeyObject, contentKey: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
}

export function craftJwe(options: CraftOptions): CraftedJwe {
  const protectedSegment = b64(JSON.stringify(options.header));
  const keyLength = options.header.enc === 'A128GCM' ? 16 : 32;
  const contentKey = options.contentKey ?? randomBytes(keyLength);
  const iv = options.iv ?? randomBytes(12);
  const encryptedKey = options.encryptedKey ?? wrapRsaOaep256(options.publicKey, contentKey);
  const cipher = createCipheriv(contentKey.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', contentKey, iv.length === 12 ? iv : randomBytes(12), { authTagLength: 16 });
  cipher.setAAD(Buffer.from(protectedSegment, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(options.plaintext), cipher.final()]);
  const segments = [protectedSegment, b64(encryptedKey), b64(iv), b64(ciphertext), b64(cipher.getAuthTag())];
  return { token: segments.join('.'), contentKey, segments };
}

/** Replaces one segment of a compact token (0 = header … 4 = tag). */
export function withSegment(token: string, index: number, value: string): string {
  const segments = token.split('.');
  segments[index] = value;
  return segments.join('.');
}

/** Flips one bit of a base64url segment's bytes. */
export function flipBit(segment: string, byteIndex = 0): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[byteIndex % bytes.length] ^= 0x01;
  return b64(bytes);
}

/** The public key of a published JWK. */
export function publicKeyOf(jwk: { kty: string; n?: string; e?: string }): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
}
