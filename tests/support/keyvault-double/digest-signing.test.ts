/**
 * The double signs digests the way Key Vault does; its signatures must be exactly what standard
 * verifiers accept (and it must accept theirs), for every JWS algorithm Key Vault keys support.
 */
import { constants, createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject, SigningOptions } from 'node:crypto';
import { signDigestWith, verifyDigestWith } from './digest-signing';
import type { SignAlgorithm, VersionKeyMaterial } from './digest-signing';

const CASES: [SignAlgorithm, 'sha256' | 'sha384' | 'sha512', string | undefined][] = [
  ['RS256', 'sha256', undefined], ['RS384', 'sha384', undefined], ['RS512', 'sha512', undefined],
  ['PS256', 'sha256', undefined], ['PS384', 'sha384', undefined], ['PS512', 'sha512', undefined],
  ['ES256', 'sha256', 'prime256v1'], ['ES384', 'sha384', 'secp384r1'], ['ES512', 'sha512', 'secp521r1'],
];

function nodeOptions(alg: SignAlgorithm, key: KeyObject, saltLength: number): KeyObject | (SigningOptions & { key: KeyObject }) {
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' };
  if (alg.startsWith('PS')) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
  return key;
}

describe.each(CASES)('%s', (alg, hash, curve) => {
  const pair = curve ? generateKeyPairSync('ec', { namedCurve: curve }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const material: VersionKeyMaterial = { ...pair, kty: curve ? 'EC' : 'RSA' };
  const data = Buffer.from('eyJhbGciOiJ9.eyJzdWIiOiJ4In0');
  const digest = createHash(hash).update(data).digest();
  const saltLength = digest.length;

  it('produces signatures that Node verifies over the original data', () => {
    const signature = signDigestWith(material, alg, digest);
    expect(verify(hash, data, nodeOptions(alg, pair.publicKey, saltLength), signature)).toBe(true);
  });

  it("accepts Node's signatures and rejects a signature over other data", () => {
    const signature = sign(hash, data, nodeOptions(alg, pair.privateKey, saltLength));
    expect(verifyDigestWith(material, alg, digest, signature)).toBe(true);
    expect(verifyDigestWith(material, alg, createHash(hash).update('other').digest(), signature)).toBe(false);
    expect(verifyDigestWith(material, alg, digest, Buffer.alloc(signature.length))).toBe(false);
  });
});
