import { generateKeyPairSync, sign as cryptoSign, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { algorithmSpec, isHmac, type JwsAlgorithm } from '../../src/algorithms';
import type { KeyStore, KeyVersion, PublicJwk } from '../../src/keys/key-store';

/**
 * Test-only signing: keys held in memory and tokens signed with node:crypto over the whole signing
 * input, independently of the service's signing path, so verify is checked against a signer
 * that is not ours.
 */
export interface TestKey {
  version: KeyVersion;
  privateKey: KeyObject | Buffer;
}

export function makeTestKey(alg: JwsAlgorithm, kid: string, attributes: Partial<KeyVersion> = {}): TestKey {
  const spec = algorithmSpec(alg);
  const base = { kid, alg, created: 1_700_000_000, enabled: true, tags: {}, ...attributes };
  if (isHmac(alg)) {
    return { version: { ...base }, privateKey: randomBytes(spec.digestLength) };
  }
  const pair =
    spec.kty === 'RSA'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: spec.nodeCurve as string });
  const jwk = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const publicJwk: PublicJwk = { kty: spec.kty, kid, alg, use: 'sig', n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y };
  return { version: { ...base, publicJwk }, privateKey: pair.privateKey };
}

export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Signs `header.payload` exactly as given (headers may be hostile on purpose). */
export function signRaw(key: TestKey, header: unknown, payload: unknown, alg: JwsAlgorithm = key.version.alg): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signInput(key, input, alg).toString('base64url')}`;
}

export function signInput(key: TestKey, input: string, alg: JwsAlgorithm): Buffer {
  const spec = algorithmSpec(alg);
  if (isHmac(alg)) return createHmac(spec.hash, key.privateKey).update(input).digest();
  const privateKey = key.privateKey as KeyObject;
  if (spec.family === 'RSA-PSS') {
    return cryptoSign(spec.hash, Buffer.from(input), { key: privateKey, padding: 6, saltLength: spec.digestLength });
  }
  if (spec.family === 'EC') return cryptoSign(spec.hash, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cryptoSign(spec.hash, Buffer.from(input), privateKey);
}

/** A read-only store that lists fixed versions; for verification tests. */
export class StaticKeyStore implements KeyStore {
  readonly kind = 'embedded' as const;
  listCalls = 0;
  constructor(public versions: KeyVersion[], private readonly secrets = new Map<string, Buffer>()) {}
  isSupported(): boolean {
    return true;
  }
  listVersions(): Promise<KeyVersion[]> {
    this.listCalls += 1;
    return Promise.resolve(this.versions.map((v) => ({ ...v })));
  }
  createVersion(): Promise<KeyVersion> {
    return Promise.reject(new Error('StaticKeyStore is read-only'));
  }
  disableVersion(kid: string): Promise<void> {
    this.versions = this.versions.map((v) => (v.kid === kid ? { ...v, enabled: false } : v));
    return Promise.resolve();
  }
  sign(): Promise<Buffer> {
    return Promise.reject(new Error('StaticKeyStore does not sign'));
  }
  getSecret(kid: string): Promise<Buffer> {
    const secret = this.secrets.get(kid);
    return secret ? Promise.resolve(secret) : Promise.reject(new Error('no secret'));
  }
}
