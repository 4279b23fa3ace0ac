/**
 * The KeyStore port on Azure Key Vault keys, through the real SDK. The private key never leaves
 * the vault: signing hashes the JWS signing input here and sends the digest to Key Vault `sign`
 * with the pinned version. The same class holds the encryption key (alg RSA-OAEP-256, key_ops
 * wrapKey/unwrapKey): `unwrapKey` sends a JWE's encrypted key to Key Vault with the pinned version.
 *
 * Call economy: a version's public key is read once (versions are immutable; only attributes are
 * re-read on refresh), and each version has one cached CryptographyClient built from the key we
 * already hold, so a token costs exactly one HTTP call (`sign`) once the credential holds a token.
 */
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { KeyClientOptions, KeyProperties, KeyVaultKey, SignatureAlgorithm } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import { algorithmSpec, isHmac, isKeyWrapAlgorithm, KEY_WRAP_ALGORITHM, signingInputDigest, type JwsAlgorithm, type KeyAlgorithm, type RsaKeySize } from '../../algorithms';
import { nowSeconds, systemClock, type Clock } from '../../clock';
import { isKeyStoreError, KeyStoreError } from '../key-store';
import type { CreateVersionOptions, KeyUse, KeyVersion, VersionStore } from '../key-store';
import { toKeyStoreError, type VaultOperationName } from './vault-failure';
import { DEFAULT_RETRY_POLICY, keyVaultHttpClient, type RetryPolicy, type VaultAttempt } from './vault-transport';
import { ALG_TAG, toEncryptionKeyVersion, toKeyVersion } from './version-mapping';

export interface KeyVaultKeyStoreOptions<A extends KeyAlgorithm = JwsAlgorithm> {
  vaultUrl: string;
  keyName: string;
  /** The configured signing algorithm (new versions are made for it), or RSA-OAEP-256 for the encryption key. */
  alg: A;
  /** RSA modulus bits of new versions (JWT_KEY_SIZE). */
  rsaKeySize: RsaKeySize;
  credential: TokenCredential;
  /** For emulators and local doubles whose challenge names https://vault.azure.net. */
  disableChallengeResourceVerification?: boolean;
  retry?: Partial<RetryPolicy>;
  /** The SDK checks nbf/exp against the machine's clock; so do we, before calling. */
  clock?: Clock;
  /** Told of every HTTP attempt (telemetry). */
  observe?: (attempt: VaultAttempt) => void;
}

/** A signing key signs and verifies; the encryption key only wraps and unwraps (nothing else may be asked of it). */
const KEY_OPS: Readonly<Record<KeyUse, string[]>> = { sig: ['sign', 'verify'], enc: ['wrapKey', 'unwrapKey'] };
const KEY_READ_CONCURRENCY = 8;

type KeyOperation = 'sign' | 'verify' | 'unwrapKey';

export class KeyVaultKeyStore<A extends KeyAlgorithm = JwsAlgorithm> implements VersionStore<A> {
  readonly kind = 'keyvault' as const;
  private readonly keyClient: KeyClient;
  private readonly clientOptions: KeyClientOptions;
  private readonly clock: Clock;
  /** Version id → the key as read once (public material; its properties refreshed by listing). */
  private readonly keys = new Map<string, KeyVaultKey>();
  private readonly cryptoClients = new Map<string, CryptographyClient>();

  constructor(private readonly options: KeyVaultKeyStoreOptions<A>) {
    this.clock = options.clock ?? systemClock;
    this.clientOptions = {
      disableChallengeResourceVerification: options.disableChallengeResourceVerification ?? false,
      retryOptions: { maxRetries: 0 }, // vault-transport.ts retries, the way Key Vault needs
      httpClient: keyVaultHttpClient({ ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) }, undefined, options.observe),
    };
    this.keyClient = new KeyClient(options.vaultUrl, options.credential, this.clientOptions);
  }

  get keyName(): string {
    return this.options.keyName;
  }

  /** What the key is for: the encryption key wraps and unwraps, every other key signs. */
  get use(): KeyUse {
    return isKeyWrapAlgorithm(this.options.alg) ? 'enc' : 'sig';
  }

  isSupported(alg: JwsAlgorithm): boolean {
    return !isHmac(alg);
  }

  /** Runs one SDK call and turns its failure into a KeyStoreError (vault-failure.ts). */
  private async call<T>(operation: VaultOperationName, version: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error: unknown) {
      throw toKeyStoreError(error, { operation, keyName: this.options.keyName, version }, this.clock.nowMs());
    }
  }

  async listVersions(): Promise<KeyVersion<A>[]> {
    const listed = await this.call('list', undefined, async () => {
      const all: KeyProperties[] = [];
      for await (const properties of this.keyClient.listPropertiesOfKeyVersions(this.options.keyName)) all.push(properties);
      return all;
    });
    // New versions need one key read each; a few at a time, so a long history is no burst.
    const described: KeyVersion<A>[] = [];
    for (let index = 0; index < listed.length; index += KEY_READ_CONCURRENCY) {
      const batch = listed.slice(index, index + KEY_READ_CONCURRENCY);
      described.push(...(await Promise.all(batch.map((properties) => this.describeVersion(properties)))));
    }
    return described;
  }

  /** Reads the version's key once; later listings only refresh its attributes. */
  private async describeVersion(properties: KeyProperties): Promise<KeyVersion<A>> {
    const version = properties.version ?? '';
    let key = this.keys.get(version);
    if (!key) {
      key = await this.readKey(version);
    } else if (key.properties.updatedOn?.getTime() !== properties.updatedOn?.getTime()) {
      // Attributes changed (disabled, nbf/exp moved): keep the material, drop the client that
      // captured the old attributes.
      key = { ...key, properties: { ...key.properties, ...properties } };
      this.keys.set(version, key);
      this.cryptoClients.delete(version);
    }
    return this.toVersion(properties, key);
  }

  /** The port's view of a version, by what this key is for. */
  private toVersion(properties: KeyProperties, key: KeyVaultKey | undefined): KeyVersion<A> {
    const alg: KeyAlgorithm = this.options.alg;
    return (isKeyWrapAlgorithm(alg) ? toEncryptionKeyVersion(properties, key?.key) : toKeyVersion(properties, key?.key, alg)) as KeyVersion<A>;
  }

  private async readKey(version: string): Promise<KeyVaultKey | undefined> {
    try {
      const key = await this.call('get', version, () => this.keyClient.getKey(this.options.keyName, { version }));
      this.keys.set(version, key);
      return key;
    } catch (error: unknown) {
      // Some vaults refuse GET on a disabled version; it signs nothing, so it needs no public key.
      if (isKeyStoreError(error) && error.failure === 'disabled') return undefined;
      throw error;
    }
  }

  async createVersion(options: CreateVersionOptions): Promise<KeyVersion<A>> {
    const alg: KeyAlgorithm = this.options.alg;
    const common = {
      keyOps: KEY_OPS[this.use],
      notBefore: new Date(options.notBefore * 1000),
      expiresOn: options.expires === undefined ? undefined : new Date(options.expires * 1000),
      tags: { ...(options.tags ?? {}), [ALG_TAG]: alg },
    };
    const name = this.options.keyName;
    const curve = isKeyWrapAlgorithm(alg) ? undefined : algorithmSpec(alg).curve;
    const key = await this.call('create', undefined, () =>
      curve !== undefined
        ? this.keyClient.createEcKey(name, { ...common, curve })
        : this.keyClient.createRsaKey(name, { ...common, keySize: this.options.rsaKeySize }),
    );
    const version = key.properties.version ?? '';
    this.keys.set(version, key);
    return this.toVersion(key.properties, key);
  }

  async disableVersion(kid: string): Promise<void> {
    await this.call('update', kid, () => this.keyClient.updateKeyProperties(this.options.keyName, kid, { enabled: false }));
    this.keys.delete(kid);
    this.cryptoClients.delete(kid);
  }

  /**
   * One client per version, made from the key already read when possible (then the SDK needs no
   * GET before signing); otherwise from the full key id, and the SDK reads the key once.
   *
   * The encryption key's client gets the key without nbf/exp: the SDK checks them on the machine's
   * clock before every operation, unwrapKey included, while Key Vault itself unwraps outside
   * nbf/exp ("date-time controlled operations": decrypt, unwrap and verify are allowed). A partner
   * may wrap to an announced version as soon as it is in the JWKS; Key Vault stays the judge.
   */
  private cryptoClient(kid: string): CryptographyClient {
    let client = this.cryptoClients.get(kid);
    if (!client) {
      const key = this.keys.get(kid);
      const keyId = `${this.options.vaultUrl.replace(/\/+$/, '')}/keys/${encodeURIComponent(this.options.keyName)}/${encodeURIComponent(kid)}`;
      const forClient = key && this.use === 'enc' ? { ...key, properties: { ...key.properties, notBefore: undefined, expiresOn: undefined } } : key;
      client = forClient ? new CryptographyClient(forClient, this.options.credential, this.clientOptions) : new CryptographyClient(keyId, this.options.credential, this.clientOptions);
      this.cryptoClients.set(kid, client);
    }
    return client;
  }

  /**
   * The SDK refuses, before calling, a key outside its nbf/exp or without the operation in its
   * key_ops, with an Error whose only information is its text. The same facts are in the key we
   * hold, so they are checked here first and answered with the store's own failures.
   */
  private checkUsable(kid: string, operation: KeyOperation): void {
    const key = this.keys.get(kid);
    if (!key) return;
    const now = nowSeconds(this.clock);
    const notBefore = seconds(key.properties.notBefore);
    const expires = seconds(key.properties.expiresOn);
    const what = `version ${kid} of key '${this.options.keyName}'`;
    if (operation === 'sign' && notBefore !== undefined && now < notBefore) throw new KeyStoreError('not_yet_valid', `${what} is not valid yet (nbf).`);
    if (operation === 'sign' && expires !== undefined && now > expires) throw new KeyStoreError('expired', `${what} has expired (exp).`);
    if (key.keyOperations && !key.keyOperations.includes(operation)) {
      throw new KeyStoreError('bad_parameter', `${what} does not allow '${operation}' (its key_ops); create versions with ${KEY_OPS[this.use].join(' and ')}.`);
    }
  }

  async sign(kid: string, alg: JwsAlgorithm, signingInput: Buffer): Promise<Buffer> {
    this.checkUsable(kid, 'sign');
    const digest = signingInputDigest(alg, signingInput);
    const result = await this.forgetUnknown(kid, this.call('sign', kid, () => this.cryptoClient(kid).sign(keyVaultAlgorithm(alg), digest)));
    return Buffer.from(result.result);
  }

  async verify(kid: string, alg: JwsAlgorithm, signingInput: Buffer, signature: Buffer): Promise<boolean> {
    this.checkUsable(kid, 'verify');
    const digest = signingInputDigest(alg, signingInput);
    const result = await this.forgetUnknown(kid, this.call('verify', kid, () => this.cryptoClient(kid).verify(keyVaultAlgorithm(alg), digest, signature)));
    return result.result;
  }

  /**
   * One Key Vault `unwrapKey` (RSA-OAEP-256) with the pinned version: the content key of a JWE
   * addressed to this service. The encryption key's versions are all read by the ring's listing,
   * so the SDK needs no GET first; one it has not read yet is read once here.
   */
  async unwrapKey(kid: string, encryptedKey: Buffer): Promise<Buffer> {
    if (this.use !== 'enc') throw new KeyStoreError('bad_parameter', `Key '${this.options.keyName}' is a signing key: it unwraps nothing.`);
    if (!this.keys.has(kid) && !(await this.readKey(kid))) throw new KeyStoreError('disabled', `Version ${kid} of key '${this.options.keyName}' is disabled.`);
    this.checkUsable(kid, 'unwrapKey');
    const result = await this.forgetUnknown(kid, this.call('unwrapKey', kid, () => this.cryptoClient(kid).unwrapKey(KEY_WRAP_ALGORITHM, encryptedKey)));
    return Buffer.from(result.result);
  }

  /** A kid the vault does not know must not leave a cached client behind (no growth from bad kids). */
  private async forgetUnknown<T>(kid: string, pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error: unknown) {
      if (isKeyStoreError(error) && error.failure === 'not_found') {
        this.cryptoClients.delete(kid);
        this.keys.delete(kid);
      }
      throw error;
    }
  }

  /** True when the key exists (any version); false on 404. Other failures propagate. */
  async keyExists(): Promise<boolean> {
    try {
      await this.call('get', undefined, () => this.keyClient.getKey(this.options.keyName));
      return true;
    } catch (error: unknown) {
      if (isKeyStoreError(error) && error.failure === 'not_found') return false;
      throw error;
    }
  }
}

function seconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : Math.floor(date.getTime() / 1000);
}

function keyVaultAlgorithm(alg: JwsAlgorithm): SignatureAlgorithm {
  const name = algorithmSpec(alg).keyVaultAlgorithm;
  if (name === undefined) throw new KeyStoreError('bad_parameter', `Key Vault keys can not sign ${alg}.`);
  return name;
}
