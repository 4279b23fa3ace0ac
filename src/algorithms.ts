import { constants, hash, type KeyObject } from 'node:crypto';

/**
 * The one algorithm table: every JWS algorithm this service can sign and verify with, and
 * everything that follows from it — digest, key type, Key Vault's name for it, signature shape.
 * It sits at the bottom of the house (it imports nothing of ours) so that jwt/, keys/ and config/
 * read the same facts and never disagree about what an algorithm means.
 */
export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'HS256', 'HS384', 'HS512',
] as const;

export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];
export type HmacAlgorithm = Extract<JwsAlgorithm, 'HS256' | 'HS384' | 'HS512'>;

export type HashName = 'sha256' | 'sha384' | 'sha512';
export type KeyFamily = 'RSA' | 'RSA-PSS' | 'EC' | 'oct';
export type Curve = 'P-256' | 'P-384' | 'P-521';

export interface AlgorithmSpec {
  alg: JwsAlgorithm;
  hash: HashName;
  /** Digest length in bytes: Key Vault refuses a digest of any other length. */
  digestLength: number;
  family: KeyFamily;
  /** JWK kty of the key. */
  kty: 'RSA' | 'EC' | 'oct';
  curve?: Curve;
  /** Node's namedCurve for EC key generation. */
  nodeCurve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /**
   * Exact signature length for ECDSA (r‖s) and HMAC. An RSA signature is exactly as long as the
   * key's modulus, so that length belongs to the key (see signatureLengthOf).
   */
  signatureLength?: number;
  /** Key Vault's name for the algorithm (its sign/verify `alg`); undefined where Key Vault keys can not do it. */
  keyVaultAlgorithm?: string;
}

const SPECS: Record<JwsAlgorithm, AlgorithmSpec> = {
  RS256: { alg: 'RS256', hash: 'sha256', digestLength: 32, family: 'RSA', kty: 'RSA', keyVaultAlgorithm: 'RS256' },
  RS384: { alg: 'RS384', hash: 'sha384', digestLength: 48, family: 'RSA', kty: 'RSA', keyVaultAlgorithm: 'RS384' },
  RS512: { alg: 'RS512', hash: 'sha512', digestLength: 64, family: 'RSA', kty: 'RSA', keyVaultAlgorithm: 'RS512' },
  PS256: { alg: 'PS256', hash: 'sha256', digestLength: 32, family: 'RSA-PSS', kty: 'RSA', keyVaultAlgorithm: 'PS256' },
  PS384: { alg: 'PS384', hash: 'sha384', digestLength: 48, family: 'RSA-PSS', kty: 'RSA', keyVaultAlgorithm: 'PS384' },
  PS512: { alg: 'PS512', hash: 'sha512', digestLength: 64, family: 'RSA-PSS', kty: 'RSA', keyVaultAlgorithm: 'PS512' },
  ES256: { alg: 'ES256', hash: 'sha256', digestLength: 32, family: 'EC', kty: 'EC', curve: 'P-256', nodeCurve: 'prime256v1', signatureLength: 64, keyVaultAlgorithm: 'ES256' },
  ES384: { alg: 'ES384', hash: 'sha384', digestLength: 48, family: 'EC', kty: 'EC', curve: 'P-384', nodeCurve: 'secp384r1', signatureLength: 96, keyVaultAlgorithm: 'ES384' },
  ES512: { alg: 'ES512', hash: 'sha512', digestLength: 64, family: 'EC', kty: 'EC', curve: 'P-521', nodeCurve: 'secp521r1', signatureLength: 132, keyVaultAlgorithm: 'ES512' },
  HS256: { alg: 'HS256', hash: 'sha256', digestLength: 32, family: 'oct', kty: 'oct', signatureLength: 32 },
  HS384: { alg: 'HS384', hash: 'sha384', digestLength: 48, family: 'oct', kty: 'oct', signatureLength: 48 },
  HS512: { alg: 'HS512', hash: 'sha512', digestLength: 64, family: 'oct', kty: 'oct', signatureLength: 64 },
};

/** RSA modulus sizes a key may have (JWT_KEY_SIZE); Key Vault offers exactly these. */
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;
export type RsaKeySize = (typeof RSA_KEY_SIZES)[number];

export function isSupportedAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SPECS, value);
}

export function algorithmSpec(alg: JwsAlgorithm): AlgorithmSpec {
  return SPECS[alg];
}

export function isHmac(alg: JwsAlgorithm): alg is HmacAlgorithm {
  return SPECS[alg].family === 'oct';
}

/**
 * The digest Key Vault signs or verifies for `alg` (it takes the digest, not the data): one-shot
 * hashing, no Hash object per token.
 */
export function signingInputDigest(alg: JwsAlgorithm, signingInput: Buffer | string): Buffer {
  return hash(algorithmSpec(alg).hash, signingInput, 'buffer');
}

/** Options for crypto.sign / crypto.verify that make Node produce and accept JWS signatures of `alg`. */
export interface NodeSignatureOptions {
  key: KeyObject;
  padding?: number;
  saltLength?: number;
  dsaEncoding?: 'ieee-p1363';
}

/** PSS with a salt as long as the hash (RFC 7518 §3.5); ECDSA as raw r‖s (§3.4). */
export function nodeSignatureOptions(alg: JwsAlgorithm, key: KeyObject): NodeSignatureOptions {
  const spec = SPECS[alg];
  if (spec.family === 'RSA-PSS') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.digestLength };
  if (spec.family === 'EC') return { key, dsaEncoding: 'ieee-p1363' };
  return { key };
}

/**
 * The exact length a valid signature by `key` has: r‖s for ECDSA, the hash for HMAC, and the
 * modulus length for RSA (RFC 8017 §8.2.2 step 1: a signature of any other length is invalid,
 * even one that only lost a leading zero byte).
 */
export function signatureLengthOf(alg: JwsAlgorithm, key: KeyObject): number {
  const fixed = SPECS[alg].signatureLength;
  if (fixed !== undefined) return fixed;
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/**
 * JWE (RFC 7516/7518) for nested tokens: the one key-management algorithm this service's
 * encryption key does (RSAES-OAEP with SHA-256 and MGF1-SHA-256, RFC 7518 §4.3; Key Vault's
 * `RSA-OAEP-256` wrapKey/unwrapKey) and the content encryptions it reads. RSA1_5 (Bleichenbacher),
 * RSA-OAEP (SHA-1), `dir`, AES key wrap, PBES2 (its p2c is a denial-of-service lever) and ECDH-ES
 * are never accepted.
 */
export const KEY_WRAP_ALGORITHM = 'RSA-OAEP-256' as const;
export type KeyWrapAlgorithm = typeof KEY_WRAP_ALGORITHM;
/** What a key version is for: a JWS algorithm (signing key) or the key-wrap algorithm (encryption key). */
export type KeyAlgorithm = JwsAlgorithm | KeyWrapAlgorithm;

export function isKeyWrapAlgorithm(value: unknown): value is KeyWrapAlgorithm {
  return value === KEY_WRAP_ALGORITHM;
}

/** AES-GCM content encryption (RFC 7518 §5.3): key length in bytes; the IV is 96 bits, the tag 128. */
export const CONTENT_ENCRYPTION = {
  A128GCM: { keyLength: 16, cipher: 'aes-128-gcm' },
  A256GCM: { keyLength: 32, cipher: 'aes-256-gcm' },
} as const;
export type ContentEncryption = keyof typeof CONTENT_ENCRYPTION;
/** What this service encrypts with; A128GCM is only read (a partner's choice). */
export const ISSUED_CONTENT_ENCRYPTION: ContentEncryption = 'A256GCM';
export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

export function isContentEncryption(value: unknown): value is ContentEncryption {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CONTENT_ENCRYPTION, value);
}

/** crypto.privateDecrypt / publicEncrypt options for RSA-OAEP-256 (OAEP with SHA-256 and MGF1-SHA-256). */
export function rsaOaep256Options(key: KeyObject): { key: KeyObject; padding: number; oaepHash: 'sha256' } {
  return { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
}

/**
 * Asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.3 step 5): never none, never HMAC.
 * Discovery advertises the same list (dpop_signing_alg_values_supported).
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;
