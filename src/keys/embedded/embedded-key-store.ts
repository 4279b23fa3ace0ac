import { createPrivateKey, generateKeyPairSync, privateDecrypt, randomBytes, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nowSeconds, type Clock } from '../../clock';
import { algorithmSpec, isHmac, isKeyWrapAlgorithm, nodeSignatureOptions, rsaOaep256Options, type JwsAlgorithm, type KeyAlgorithm, type RsaKeySize } from '../../algorithms';
import { KeyStoreError, type CreateVersionOptions, type KeyVersion, type PublicJwk, type VersionStore } from '../key-store';
import { openAtRestKey, readJson, seal, sealedSecret, unseal, writeFileAtomic, type Sealed } from './at-rest';

export interface EmbeddedKeyStoreOptions<A extends KeyAlgorithm = JwsAlgorithm> {
  dir: string;
  /** LOCAL_KEYSTORE_SECRET; when unset a random key is generated into `<dir>/.secret`. */
  secret?: string;
  /** JWT_ALG for the signing key; RSA-OAEP-256 for the encryption key (kept in its own folder). */
  alg: A;
  /** RSA modulus bits of new versions (JWT_KEY_SIZE); 2048 when not given. */
  rsaKeySize?: RsaKeySize;
  clock: Clock;
}

interface StoredVersion extends KeyVersion<KeyAlgorithm> {
  /**
   * Sealed with AES-256-GCM, the kid as associated data: the PKCS#8 DER of the private key, or for
   * HS* the HMAC secret itself (then there is no public JWK: it is never published).
   */
  privateKey: Sealed;
}

const KID = /^[0-9a-f]{32}$/;

/** An HMAC version holds a secret, not a key pair (and is never published). */
const isHmacVersion = (alg: KeyAlgorithm): boolean => !isKeyWrapAlgorithm(alg) && isHmac(alg);

/**
 * Key Vault's behaviour on local disk, for development without Azure: versions with nbf/exp/enabled,
 * signing with a pinned version, refusing to sign before nbf, after exp or when disabled. Signing is
 * Node's crypto.sign (OpenSSL, constant-time). One file per version, written atomically, so several
 * processes can share the folder. A development store: the factory refuses it in Azure.
 *
 * The same class holds the encryption key (alg RSA-OAEP-256, folder `encryption-versions/`, the
 * same at-rest key): it unwraps with crypto.privateDecrypt (OAEP, SHA-256) and, like Key Vault's
 * unwrapKey, also outside nbf/exp but never with a disabled version. It signs nothing.
 */
export class EmbeddedKeyStore<A extends KeyAlgorithm = JwsAlgorithm> implements VersionStore<A> {
  readonly kind = 'embedded' as const;
  private readonly sealingKey: Buffer;
  private readonly versionsDir: string;
  private readonly privateKeys = new Map<string, KeyObject>();

  constructor(private readonly options: EmbeddedKeyStoreOptions<A>) {
    this.sealingKey = openAtRestKey(options.dir, options.secret);
    this.versionsDir = join(options.dir, isKeyWrapAlgorithm(options.alg) ? 'encryption-versions' : 'versions');
    mkdirSync(this.versionsDir, { recursive: true, mode: 0o700 });
  }

  /** Asymmetric keys and, for HS*, HMAC secrets (the SecretStore role of the design). */
  isSupported(_alg: JwsAlgorithm): boolean {
    return true;
  }

  listVersions(): Promise<KeyVersion<A>[]> {
    return attempt(() => {
      const files = readdirSync(this.versionsDir).filter((name) => name.endsWith('.json'));
      return files.map((name) => this.toKeyVersion(this.read(name.slice(0, -5))));
    });
  }

  createVersion(options: CreateVersionOptions): Promise<KeyVersion<A>> {
    return attempt(() => this.toKeyVersion(this.create(options)));
  }

  /**
   * A new version: a fresh key pair, or for HS* a secret as long as the hash output (RFC 7518 §3.2
   * minimum) from the CSPRNG — never from a caller. The secret material is sealed before it is written.
   */
  private create(options: CreateVersionOptions): StoredVersion {
    const alg: KeyAlgorithm = this.options.alg;
    const kid = randomBytes(16).toString('hex');
    let material: Buffer;
    let publicJwk: PublicJwk<KeyAlgorithm> | undefined;
    if (isKeyWrapAlgorithm(alg)) {
      const pair = generateKeyPairSync('rsa', { modulusLength: this.options.rsaKeySize ?? 2048 });
      const jwk = pair.publicKey.export({ format: 'jwk' });
      publicJwk = { kty: 'RSA', kid, alg, use: 'enc', n: jwk.n, e: jwk.e };
      material = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    } else if (isHmac(alg)) {
      material = randomBytes(algorithmSpec(alg).digestLength);
    } else {
      const spec = algorithmSpec(alg);
      const pair =
        spec.kty === 'RSA'
          ? generateKeyPairSync('rsa', { modulusLength: this.options.rsaKeySize ?? 2048 })
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
    return stored;
  }

  /** The key of keyed audit hashes (src/audit.ts): generated once, sealed beside the keys. */
  auditKey(): Buffer {
    return sealedSecret(this.options.dir, this.sealingKey, 'audit-key');
  }

  /** HMAC secret bytes of an HS* version (the key ring reads each once). */
  getSecret(kid: string): Promise<Buffer> {
    return attempt(() => {
      const stored = this.read(kid);
      if (isKeyWrapAlgorithm(stored.alg) || !isHmac(stored.alg)) throw new KeyStoreError('bad_parameter', 'Only HMAC versions have a secret.');
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

  sign(kid: string, alg: JwsAlgorithm, signingInput: Buffer): Promise<Buffer> {
    return attempt(() => {
      const stored = this.read(kid);
      this.checkRequest(stored, alg);
      const now = nowSeconds(this.options.clock);
      if (!stored.enabled) throw new KeyStoreError('disabled', 'The key version is disabled.');
      if (stored.notBefore !== undefined && now < stored.notBefore) throw new KeyStoreError('not_yet_valid', 'The key version is not valid yet (nbf).');
      if (stored.expires !== undefined && now >= stored.expires) throw new KeyStoreError('expired', 'The key version has expired (exp).');
      return cryptoSign(algorithmSpec(alg).hash, signingInput, nodeSignatureOptions(alg, this.privateKeyOf(stored)));
    });
  }

  /** Like Key Vault, verification works on disabled versions and outside nbf/exp. */
  verify(kid: string, alg: JwsAlgorithm, signingInput: Buffer, signature: Buffer): Promise<boolean> {
    return attempt(() => {
      const stored = this.read(kid);
      this.checkRequest(stored, alg);
      return cryptoVerify(algorithmSpec(alg).hash, signingInput, nodeSignatureOptions(alg, this.privateKeyOf(stored)), signature);
    });
  }

  /**
   * Unwraps a JWE content key with the named encryption key version (RSAES-OAEP-256). A ciphertext
   * that does not decrypt says nothing more than `bad_parameter`, whatever went wrong inside.
   */
  unwrapKey(kid: string, encryptedKey: Buffer): Promise<Buffer> {
    return attempt(() => {
      const stored = this.read(kid);
      if (!isKeyWrapAlgorithm(stored.alg)) throw new KeyStoreError('bad_parameter', 'Only encryption key versions unwrap.');
      if (!stored.enabled) throw new KeyStoreError('disabled', 'The key version is disabled.');
      try {
        return privateDecrypt(rsaOaep256Options(this.privateKeyOf(stored)), encryptedKey);
      } catch (error: unknown) {
        throw new KeyStoreError('bad_parameter', 'The encrypted key could not be unwrapped.', { cause: error });
      }
    });
  }

  private checkRequest(stored: StoredVersion, alg: JwsAlgorithm): void {
    if (isKeyWrapAlgorithm(stored.alg)) throw new KeyStoreError('bad_parameter', 'Encryption key versions do not sign.');
    // HMAC is computed by the service from the cached secret, never by the store.
    if (isHmac(stored.alg)) throw new KeyStoreError('bad_parameter', 'HMAC versions are not signed by the store.');
    if (alg !== stored.alg) throw new KeyStoreError('bad_parameter', `The key version is for ${stored.alg}, not ${alg}.`);
  }

  /** Unsealed once per version and kept as a KeyObject (OpenSSL holds the key material). */
  private privateKeyOf(stored: StoredVersion): KeyObject {
    let key = this.privateKeys.get(stored.kid);
    if (!key) {
      const der = unseal(this.sealingKey, stored.privateKey, stored.kid, `key version ${stored.kid}`);
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      this.privateKeys.set(stored.kid, key);
    }
    return key;
  }

  private path(kid: string): string {
    return join(this.versionsDir, `${kid}.json`);
  }

  private read(kid: string): StoredVersion {
    if (!KID.test(kid) || !existsSync(this.path(kid))) throw new KeyStoreError('not_found', 'No such key version.');
    const stored = readJson<StoredVersion>(this.path(kid), `Key version ${kid}`);
    // The folder decides the purpose: a signing version among encryption versions (or the reverse) is not ours to use.
    const samePurpose = isKeyWrapAlgorithm(stored.alg) === isKeyWrapAlgorithm(this.options.alg);
    if (stored.kid !== kid || !samePurpose || (!isHmacVersion(stored.alg) && typeof stored.publicJwk !== 'object') || typeof stored.privateKey !== 'object') {
      throw new KeyStoreError('corrupt', `Key version file ${this.path(kid)} is not a key version.`);
    }
    return stored;
  }

  /** read() has checked that the version's algorithm is of this store's purpose. */
  private toKeyVersion(stored: StoredVersion): KeyVersion<A> {
    return withoutPrivateKey(stored) as KeyVersion<A>;
  }

  private write(stored: StoredVersion): void {
    writeFileAtomic(this.path(stored.kid), JSON.stringify(stored, null, 2));
  }
}

function withoutPrivateKey(stored: StoredVersion): KeyVersion<KeyAlgorithm> {
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
