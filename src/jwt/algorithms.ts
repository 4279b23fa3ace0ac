import { hash } from 'node:crypto';

/**
 * The algorithms this service can sign and verify with, and everything that follows from each:
 * digest, key type, signature shape. One table so that sign, verify, JWKS and the key stores never
 * disagree about what an algorithm means.
 */
export const SUPPORTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'HS256', 'HS384', 'HS512',
] as const;

export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<JwsAlgorithm, 'HS256' | 'HS384' | 'HS512'>;
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
  /** Exact signature length for ECDSA (r‖s) and HMAC; RSA varies with the modulus. */
  signatureLength?: number;
}

const SPECS: Record<JwsAlgorithm, AlgorithmSpec> = {
  RS256: { alg: 'RS256', hash: 'sha256', digestLength: 32, family: 'RSA', kty: 'RSA' },
  RS384: { alg: 'RS384', hash: 'sha384', digestLength: 48, family: 'RSA', kty: 'RSA' },
  RS512: { alg: 'RS512', hash: 'sha512', digestLength: 64, family: 'RSA', kty: 'RSA' },
  PS256: { alg: 'PS256', hash: 'sha256', digestLength: 32, family: 'RSA-PSS', kty: 'RSA' },
  PS384: { alg: 'PS384', hash: 'sha384', digestLength: 48, family: 'RSA-PSS', kty: 'RSA' },
  PS512: { alg: 'PS512', hash: 'sha512', digestLength: 64, family: 'RSA-PSS', kty: 'RSA' },
  ES256: { alg: 'ES256', hash: 'sha256', digestLength: 32, family: 'EC', kty: 'EC', curve: 'P-256', nodeCurve: 'prime256v1', signatureLength: 64 },
  ES384: { alg: 'ES384', hash: 'sha384', digestLength: 48, family: 'EC', kty: 'EC', curve: 'P-384', nodeCurve: 'secp384r1', signatureLength: 96 },
  ES512: { alg: 'ES512', hash: 'sha512', digestLength: 64, family: 'EC', kty: 'EC', curve: 'P-521', nodeCurve: 'secp521r1', signatureLength: 132 },
  HS256: { alg: 'HS256', hash: 'sha256', digestLength: 32, family: 'oct', kty: 'oct', signatureLength: 32 },
  HS384: { alg: 'HS384', hash: 'sha384', digestLength: 48, family: 'oct', kty: 'oct', signatureLength: 48 },
  HS512: { alg: 'HS512', hash: 'sha512', digestLength: 64, family: 'oct', kty: 'oct', signatureLength: 64 },
};

export function isSupportedAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(SPECS, value);
}

export function algorithmSpec(alg: JwsAlgorithm): AlgorithmSpec {
  return SPECS[alg];
}

export function isHmac(alg: JwsAlgorithm): alg is HmacAlgorithm {
  return SPECS[alg].family === 'oct';
}

/** RSA modulus size we generate; 2048 is Key Vault's default and what APIM expects. */
export const RSA_MODULUS_BITS = 2048;

/**
 * The digest Key Vault signs or verifies for `alg` (it takes the digest, not the data): one-shot
 * hashing, no Hash object per token.
 */
export function signingInputDigest(alg: JwsAlgorithm, signingInput: string): Buffer {
  return hash(algorithmSpec(alg).hash, signingInput, 'buffer');
}
