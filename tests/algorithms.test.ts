/**
 * The one algorithm table (algorithms.ts) and what follows from it: which names are algorithms at
 * all, the digest Key Vault signs, Node's options for JWS signature shapes (PSS salt = hash length,
 * ECDSA as raw r‖s), exact signature lengths, and the JWE algorithms this service accepts.
 */
import { constants, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';
import {
  algorithmSpec,
  CONTENT_ENCRYPTION,
  DPOP_ALGORITHMS,
  isContentEncryption,
  isHmac,
  isKeyWrapAlgorithm,
  isSupportedAlgorithm,
  nodeSignatureOptions,
  rsaOaep256Options,
  signatureLengthOf,
  signingInputDigest,
  SUPPORTED_ALGORITHMS,
} from '../src/algorithms';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('isSupportedAlgorithm', () => {
  it('accepts exactly the table and nothing that only looks like a key of it', () => {
    for (const alg of SUPPORTED_ALGORITHMS) expect(isSupportedAlgorithm(alg)).toBe(true);
    for (const value of ['none', 'None', 'rs256', 'EdDSA', 'RSA-OAEP-256', '__proto__', 'toString', 'constructor', 'hasOwnProperty', '', 256, undefined, null, {}]) {
      expect(isSupportedAlgorithm(value)).toBe(false);
    }
  });
});

describe('the table', () => {
  it('pairs each algorithm with its hash, a digest as long as the hash, and the key type of its family', () => {
    for (const alg of SUPPORTED_ALGORITHMS) {
      const spec = algorithmSpec(alg);
      expect(spec.alg).toBe(alg);
      expect(spec.hash).toBe(`sha${alg.slice(2)}`);
      expect(spec.digestLength).toBe(createHash(spec.hash).digest().length);
      expect(spec.kty).toBe({ RSA: 'RSA', 'RSA-PSS': 'RSA', EC: 'EC', oct: 'oct' }[spec.family]);
    }
  });

  it('gives Key Vault a name for every asymmetric algorithm and none for HMAC (Key Vault keys can not do it)', () => {
    for (const alg of SUPPORTED_ALGORITHMS) expect(algorithmSpec(alg).keyVaultAlgorithm).toBe(isHmac(alg) ? undefined : alg);
    expect(SUPPORTED_ALGORITHMS.filter(isHmac)).toEqual(['HS256', 'HS384', 'HS512']);
  });

  it('pins each ES algorithm to its curve (RFC 7518 §3.4), not just its hash', () => {
    expect(['ES256', 'ES384', 'ES512'].map((alg) => algorithmSpec(alg as 'ES256').curve)).toEqual(['P-256', 'P-384', 'P-521']);
  });
});

describe('signingInputDigest', () => {
  it('is the hash of the signing input that the algorithm names', () => {
    const input = 'eyJhbGciOiJFUzM4NCJ9.eyJzdWIiOiJ4In0';
    expect(signingInputDigest('ES384', input).equals(createHash('sha384').update(input).digest())).toBe(true);
    expect(signingInputDigest('PS512', Buffer.from(input))).toHaveLength(64);
  });
});

describe('nodeSignatureOptions', () => {
  const data = Buffer.from('header.payload');

  it('makes PSS signatures with a salt as long as the hash (RFC 7518 §3.5), which a verifier pinning that salt accepts', () => {
    const signature = sign('sha384', data, nodeSignatureOptions('PS384', rsa.privateKey));
    expect(verify('sha384', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, signature)).toBe(true);
    expect(verify('sha384', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)).toBe(false);
    expect(verify('sha384', data, rsa.publicKey, signature)).toBe(false); // not PKCS#1 v1.5
  });

  it('makes ECDSA signatures as raw r‖s of the exact length, not DER', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    const signature = sign('sha512', data, nodeSignatureOptions('ES512', ec.privateKey));
    expect(signature).toHaveLength(132);
    expect(verify('sha512', data, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
  });

  it('leaves RS* as plain PKCS#1 v1.5', () => {
    expect(nodeSignatureOptions('RS256', rsa.publicKey)).toEqual({ key: rsa.publicKey });
  });
});

describe('signatureLengthOf', () => {
  it('is the modulus length, rounded up to whole bytes, for RSA and PSS', () => {
    expect(signatureLengthOf('RS256', rsa.publicKey)).toBe(256);
    expect(signatureLengthOf('PS512', rsa.publicKey)).toBe(256);
    const odd = generateKeyPairSync('rsa', { modulusLength: 1028 }).publicKey;
    expect(signatureLengthOf('RS256', odd)).toBe(129);
  });

  it('is fixed by the algorithm for ECDSA (r‖s) and HMAC (the hash), whatever the key', () => {
    expect(['ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'].map((alg) => signatureLengthOf(alg as 'ES256', rsa.publicKey))).toEqual([64, 96, 132, 32, 48, 64]);
  });
});

describe('JWE algorithms', () => {
  it('accepts RSA-OAEP-256 as the only key wrapping, and A128GCM/A256GCM as the only content encryptions', () => {
    expect(isKeyWrapAlgorithm('RSA-OAEP-256')).toBe(true);
    for (const value of ['RSA-OAEP', 'RSA1_5', 'dir', 'A256KW', 'PBES2-HS256+A128KW', 'ECDH-ES', 'rsa-oaep-256', undefined]) expect(isKeyWrapAlgorithm(value)).toBe(false);
    expect(isContentEncryption('A256GCM')).toBe(true);
    expect(isContentEncryption('A128GCM')).toBe(true);
    for (const value of ['A192GCM', 'A128CBC-HS256', '__proto__', 'toString', 42]) expect(isContentEncryption(value)).toBe(false);
    expect(CONTENT_ENCRYPTION.A256GCM.keyLength).toBe(32);
  });

  it('wraps with OAEP over SHA-256 and MGF1-SHA-256: what Node wraps with SHA-1 OAEP does not unwrap', () => {
    const contentKey = randomBytes(32);
    const wrapped = publicEncrypt(rsaOaep256Options(rsa.publicKey), contentKey);
    expect(privateDecrypt(rsaOaep256Options(rsa.privateKey), wrapped).equals(contentKey)).toBe(true);
    const sha1 = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, contentKey);
    expect(() => privateDecrypt(rsaOaep256Options(rsa.privateKey), sha1)).toThrow();
  });
});

describe('DPOP_ALGORITHMS', () => {
  it('lists asymmetric algorithms only: never none, never HMAC (RFC 9449 §4.3)', () => {
    for (const alg of DPOP_ALGORITHMS) expect(alg).not.toMatch(/^(none|HS)/i);
    expect(DPOP_ALGORITHMS).toEqual(expect.arrayContaining(['ES256', 'PS256', 'RS256', 'EdDSA']));
  });
});
