import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nowSeconds, type Clock } from '../../clock';
import { algorithmSpec, isHmac, RSA_MODULUS_BITS, type JwsAlgorithm } from '../../jwt/algorithms';
import { signDigestWith, verifyDigestWith, type SignAlgorithm, type VersionKeyMaterial } from '../digest/digest-signing';
import { KeyStoreError, type CreateVersionOptions, type KeyStore, type KeyVersion, type PublicJwk } from '../key-store';
import { openAtRestKey, readJson, seal, unseal, writeFileAtomic, type Sealed } from './at-rest';

export interface EmbeddedKeyStoreOptions {
  dir: string;
  /** LOCAL_KEYSTORE_SECRET; when unset a random key is generated into `<dir>/.secret`. */
  secret?: string;
  alg: JwsAlgorithm;
  clock: Clock;
}

interface StoredVersion extends KeyVersion {
  /**
   * Sealed with AES-256-GCM, the kid as associated data: the PKCS#8 DER of the private key, or for
   * HS* the HMAC secret itself (then there is no public JWK: it is never published).
   */
  privateKey: Sealed;
}

const KID = /^[0-9a-f]{32}$/;

/**
 * Key Vault's behaviour on local disk, for development without Azure: versions with nbf/exp/enabled,
 * signing a digest with a pinned version, refusing to sign before nbf, after exp or when disabled.
 * One file per version, written atomically, so several processes can share the folder.
 */
export class EmbeddedKeyStore implements KeyStore {
  readonly kind = 'embedded' as const;
  private readonly sealingKey: Buffer;
  private readonly versionsDir: string;
  private readonly material = new Map<string, VersionKeyMaterial>();

  constructor(private readonly options: EmbeddedKeyStoreOptions) {
    this.sealingKey = openAtRestKey(options.dir, options.secret);
    this.versionsDir = join(options.dir, 'versions');
    mkdirSync(this.versionsDir, { recursive: true, mode: 0o700 });
  }

  /** Asymmetric keys and, for HS*, HMAC secrets (the SecretStore role of the design). */
  isSupported(_alg: JwsAlgorithm): boolean {
    return true;
  }

  listVersions(): Promise<KeyVersion[]> {
    return attempt(() => {
      const files = readdirSync(this.versionsDir).filter((name) => name.endsWith('.json'));
      return files.map((name) => toKeyVersion(this.read(name.slice(0, -5))));
    });
  }

  createVersion(options: CreateVersionOptions): Promise<KeyVersion> {
    return attempt(() => this.create(options));
  }

  /**
   * A new version: a fresh key pair, or for HS* a secret as long as the hash output (RFC 7518 §3.2
   * minimum) from the CSPRNG — never from a caller. The secret material is sealed before it is written.
   */
  private create(options: CreateVersionOptions): KeyVersion {
    const alg = this.options.alg;
    const spec = algorithmSpec(alg);
    const kid = randomBytes(16).toString('hex');
    let material: Buffer;
    let publicJwk: PublicJwk | undefined;
    if (isHmac(alg)) {
      material = randomBytes(spec.digestLength);
    } else {
      const pair =
        spec.kty === 'RSA'
          ? generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS })
          : generateKeyPairSync('ec', { namedCurve: spec.nodeCurve ?? 'prime256v1' });
      const jwk = pair.publicKey.export({ format: 'jwk' });
      publicJwk = spec.kty === 'RSA'
        ? { kty: 'RSA', kid, alg, use: 'sig', n: jwk.n, e: jwk.e }
        : { kty: 'EC', kid, alg, use: 'sig', crv: jwk.crv, x: jwk.x, y: jwk.y };
      material = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    }
    const stored: StoredVersion = {
      kid,
      alg,
      created: nowSeconds(this.options.clock),
      notBefore: options.notBefore,
      expires: options.expires,
      enabled: true,
      tags: { ...(options.tags ?? {}) },
      ...(publicJwk ? { publicJwk } : {}),
      privateKey: seal(this.sealingKey, material, kid),
    };
    this.write(stored);
    return toKeyVersion(stored);
  }

  /** HMAC secret bytes of an HS* version (the key ring reads each once). */
  getSecret(kid: string): Promise<Buffer> {
    return attempt(() => {
      const stored = this.read(kid);
      if (!isHmac(stored.alg)) throw new KeyStoreError('bad_parameter', 'Only HMAC versions have a secret.');
      const secret = unseal(this.sealingKey, stored.privateKey, stored.kid, `secret version ${stored.kid}`);
      if (secret.length < algorithmSpec(stored.alg).digestLength) throw new KeyStoreError('bad_parameter', `The ${stored.alg} secret is shorter than the hash output.`);
      return secret;
    });
  }

  disableVersion(kid: string): Promise<void> {
    return attempt(() => {
      const stored = this.read(kid);
      if (stored.enabled) this.write({ ...stored, enabled: false });
    });
  }

  signDigest(kid: string, alg: JwsAlgorithm, digest: Buffer): Promise<Buffer> {
    return attempt(() => {
      const stored = this.read(kid);
      this.checkRequest(stored, alg, digest);
      const now = nowSeconds(this.options.clock);
      if (!stored.enabled) throw new KeyStoreError('disabled', 'The key version is disabled.');
      if (stored.notBefore !== undefined && now < stored.notBefore) throw new KeyStoreError('not_yet_valid', 'The key version is not valid yet (nbf).');
      if (stored.expires !== undefined && now >= stored.expires) throw new KeyStoreError('expired', 'The key version has expired (exp).');
      return signDigestWith(this.materialFor(stored), alg as SignAlgorithm, digest);
    });
  }

  /** Like Key Vault, verification works on disabled versions and outside nbf/exp. */
  verifyDigest(kid: string, alg: JwsAlgorithm, digest: Buffer, signature: Buffer): Promise<boolean> {
    return attempt(() => {
      const stored = this.read(kid);
      this.checkRequest(stored, alg, digest);
      return verifyDigestWith(this.materialFor(stored), alg as SignAlgorithm, digest, signature);
    });
  }

  private checkRequest(stored: StoredVersion, alg: JwsAlgorithm, digest: Buffer): void {
    // HMAC is computed by the service from the cached secret; a digest can not be "signed".
    if (isHmac(stored.alg)) throw new KeyStoreError('bad_parameter', 'HMAC versions do not sign digests.');
    if (alg !== stored.alg) throw new KeyStoreError('bad_parameter', `The key version is for ${stored.alg}, not ${alg}.`);
    if (digest.length !== algorithmSpec(alg).digestLength) {
      throw new KeyStoreError('bad_parameter', `A ${alg} digest is ${algorithmSpec(alg).digestLength} bytes.`);
    }
  }

  private materialFor(stored: StoredVersion): VersionKeyMaterial {
    let material = this.material.get(stored.kid);
    if (!material) {
      const der = unseal(this.sealingKey, stored.privateKey, stored.kid, `key version ${stored.kid}`);
      const privateKey: KeyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const spec = algorithmSpec(stored.alg);
      material = { privateKey, publicKey: createPublicKey(privateKey), kty: spec.kty === 'EC' ? 'EC' : 'RSA', crv: spec.curve };
      this.material.set(stored.kid, material);
    }
    return material;
  }

  private path(kid: string): string {
    return join(this.versionsDir, `${kid}.json`);
  }

  private read(kid: string): StoredVersion {
    if (!KID.test(kid) || !existsSync(this.path(kid))) throw new KeyStoreError('not_found', 'No such key version.');
    const stored = readJson<StoredVersion>(this.path(kid), `Key version ${kid}`);
    if (stored.kid !== kid || (!isHmac(stored.alg) && typeof stored.publicJwk !== 'object') || typeof stored.privateKey !== 'object') {
      throw new KeyStoreError('corrupt', `Key version file ${this.path(kid)} is not a key version.`);
    }
    return stored;
  }

  private write(stored: StoredVersion): void {
    writeFileAtomic(this.path(stored.kid), JSON.stringify(stored, null, 2));
  }
}

function toKeyVersion(stored: StoredVersion): KeyVersion {
  const { privateKey: _sealed, ...version } = stored;
  return version;
}

/** The store's file I/O is synchronous; callers still get the port's promise, rejected on failure. */
function attempt<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error: unknown) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
