/**
 * The Key Vault double signs and verifies a ready-made digest, as Key Vault does (`sign` takes the
 * hash of the data, not the data): RS* = PKCS#1 v1.5 over DigestInfo, PS* = PSS with salt length =
 * hash length, ES* = raw r‖s. Node's crypto.sign always hashes what it is given, so:
 * - RS*: OpenSSL's raw PKCS#1 v1.5 private operation over DigestInfo ‖ digest;
 * - PS*: EMSA-PSS encoding (RFC 8017 §9.1) here, then OpenSSL's raw RSA private operation;
 * - ES*: @noble/curves, which signs a prehashed message (`prehash: false`).
 * Test double only: the service itself never does key arithmetic (it calls Key Vault, or
 * crypto.sign in the embedded store). tests/support/keyvault-double/digest-signing.test.ts holds
 * every signature made here to Node's own verifier.
 */
import { constants, createHash, privateDecrypt, privateEncrypt, publicDecrypt, publicEncrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist';

export type CurveName = 'P-256' | 'P-384' | 'P-521';
const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

export type SignAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
type HashName = 'sha256' | 'sha384' | 'sha512';

interface AlgInfo {
  hash: HashName;
  digestLength: number;
  scheme: 'pkcs1' | 'pss' | 'ecdsa';
  curve?: CurveName;
}

const ALGS: Record<SignAlgorithm, AlgInfo> = {
  RS256: { hash: 'sha256', digestLength: 32, scheme: 'pkcs1' },
  RS384: { hash: 'sha384', digestLength: 48, scheme: 'pkcs1' },
  RS512: { hash: 'sha512', digestLength: 64, scheme: 'pkcs1' },
  PS256: { hash: 'sha256', digestLength: 32, scheme: 'pss' },
  PS384: { hash: 'sha384', digestLength: 48, scheme: 'pss' },
  PS512: { hash: 'sha512', digestLength: 64, scheme: 'pss' },
  ES256: { hash: 'sha256', digestLength: 32, scheme: 'ecdsa', curve: 'P-256' },
  ES384: { hash: 'sha384', digestLength: 48, scheme: 'ecdsa', curve: 'P-384' },
  ES512: { hash: 'sha512', digestLength: 64, scheme: 'ecdsa', curve: 'P-521' },
};

const DIGEST_INFO_PREFIX: Record<HashName, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function signAlgorithmInfo(alg: string): AlgInfo | undefined {
  return Object.prototype.hasOwnProperty.call(ALGS, alg) ? ALGS[alg as SignAlgorithm] : undefined;
}

/** Key material of one version (the private part never leaves the store that holds it). */
export interface VersionKeyMaterial {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kty: 'RSA' | 'EC';
  crv?: CurveName;
}

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length + seed.length; counter += 1) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** EMSA-PSS-ENCODE (RFC 8017, 9.1.1) of a digest, padded to the modulus length for raw RSA. */
function pssEncode(hash: HashName, digest: Buffer, modBits: number): Buffer {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i += 1) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  return Buffer.concat([Buffer.alloc(Math.ceil(modBits / 8) - emLen), em]);
}

/** EMSA-PSS-VERIFY (RFC 8017, 9.1.2). */
function pssVerify(hash: HashName, digest: Buffer, encoded: Buffer, modBits: number): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = digest.length;
  const em = encoded.subarray(encoded.length - emLen);
  if (em[em.length - 1] !== 0xbc || emLen < 2 * hLen + 2) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0] & ~(0xff >> (8 * emLen - emBits))) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i += 1) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const separator = emLen - 2 * hLen - 2;
  if (!db.subarray(0, separator).every((byte) => byte === 0) || db[separator] !== 1) return false;
  const salt = db.subarray(separator + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

export function signDigestWith(material: VersionKeyMaterial, alg: SignAlgorithm, digest: Buffer): Buffer {
  const info = ALGS[alg];
  if (info.scheme === 'ecdsa') {
    const jwk = material.privateKey.export({ format: 'jwk' });
    const signature = CURVES[info.curve as CurveName].sign(digest, Buffer.from(jwk.d ?? '', 'base64url'), { prehash: false, lowS: false });
    return Buffer.from(signature.toCompactRawBytes());
  }
  if (info.scheme === 'pkcs1') {
    return privateEncrypt({ key: material.privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO_PREFIX[info.hash], digest]));
  }
  const em = pssEncode(info.hash, digest, modulusBits(material.privateKey));
  return privateDecrypt({ key: material.privateKey, padding: constants.RSA_NO_PADDING }, em);
}

function ecPublicKeyBytes(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

export function verifyDigestWith(material: VersionKeyMaterial, alg: SignAlgorithm, digest: Buffer, signature: Buffer): boolean {
  const info = ALGS[alg];
  try {
    if (info.scheme === 'ecdsa') {
      return CURVES[info.curve as CurveName].verify(signature, digest, ecPublicKeyBytes(material.publicKey), { prehash: false, lowS: false, format: 'compact' });
    }
    const bytes = Math.ceil(modulusBits(material.publicKey) / 8);
    if (signature.length !== bytes) return false;
    if (info.scheme === 'pkcs1') {
      const recovered = publicDecrypt({ key: material.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      const expected = Buffer.concat([DIGEST_INFO_PREFIX[info.hash], digest]);
      return recovered.length === expected.length && timingSafeEqual(recovered, expected);
    }
    const encoded = publicEncrypt({ key: material.publicKey, padding: constants.RSA_NO_PADDING }, signature);
    return pssVerify(info.hash, digest, encoded, modulusBits(material.publicKey));
  } catch {
    // A malformed signature (e.g. a value not below the modulus) is simply not valid.
    return false;
  }
}
