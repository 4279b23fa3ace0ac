/**
 * The KeyStore port on Azure Key Vault keys, through the real SDK. The private key never leaves
 * the vault: signing hashes the JWS signing input here and sends the digest to Key Vault `sign`
 * with the pinned version.
 *
 * Call economy: a version's public key is read once (versions are immutable; only attributes are
 * re-read on refresh), and each version has one cached CryptographyClient built from the key we
 * already hold, so a token costs exactly one HTTP call (`sign`) once the credential holds a token.
 */
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { KeyClientOptions, KeyProperties, KeyVaultKey, SignatureAlgorithm } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import { algorithmSpec, isHmac, signingInputDigest, type JwsAlgorithm, type RsaKeySize } from '../../algorithms';
import { nowSeconds, systemClock, type Clock } from '../../clock';
import { isKeyStoreError, KeyStoreError } from '../key-store';
import type { CreateVersionOptions, KeyStore, KeyVersion } from '../key-store';
import { toKeyStoreError, type VaultOperationName } from './vault-failure';
import { DEFAULT_RETRY_POLICY, keyVaultHttpClient, type RetryPolicy, type VaultAttempt } from './vault-transport';
import { ALG_TAG, toKeyVersion } from './version-mapping';

export interface KeyVaultKeyStoreOptions {
  vaultUrl: string;
  keyName: string;
  /** The configured signing algorithm: new versions are made for it. */
  alg: JwsAlgorithm;
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

const KEY_OPS = ['sign', 'verify'];
const KEY_READ_CONCURRENCY = 8;

export class KeyVaultKeyStore implements KeyStore {
  readonly kind = 'keyvault' as const;
  private readonly keyClient: KeyClient;
  private readonly clientOptions: KeyClientOptions;
  private readonly clock: Clock;
  /** Version id → the key as read once (public material; its properties refreshed by listing). */
  private readonly keys = new Map<string, KeyVaultKey>();
  private readonly cryptoClients = new Map<string, CryptographyClient>();

  constructor(private readonly options: KeyVaultKeyStoreOptions) {
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

  async listVersions(): Promise<KeyVersion[]> {
    const listed = await this.call('list', undefined, async () => {
      const all: KeyProperties[] = [];
      for await (const properties of this.keyClient.listPropertiesOfKeyVersions(this.options.keyName)) all.push(properties);
      return all;
    });
    // New versions need one key read each; a few at a time, so a long history is no burst.
    const described: KeyVersion[] = [];
    for (let index = 0; index < listed.length; index += KEY_READ_CONCURRENCY) {
      const batch = listed.slice(index, index + KEY_READ_CONCURRENCY);
      described.push(...(await Promise.all(batch.map((properties) => this.describeVersion(properties)))));
    }
    return described;
  }

  /** Reads the version's key once; later listings only refresh its attributes. */
  private async describeVersion(properties: KeyProperties): Promise<KeyVersion> {
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
    return toKeyVersion(properties, key?.key, this.options.alg);
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

  async createVersion(options: CreateVersionOptions): Promise<KeyVersion> {
    const alg = this.options.alg;
    const spec = algorithmSpec(alg);
    const common = {
      keyOps: KEY_OPS,
      notBefore: new Date(options.notBefore * 1000),
      expiresOn: options.expires === undefined ? undefined : new Date(options.expires * 1000),
      tags: { ...(options.tags ?? {}), [ALG_TAG]: alg },
    };
    const name = this.options.keyName;
    const key = await this.call('create', undefined, () =>
      spec.kty === 'EC'
        ? this.keyClient.createEcKey(name, { ...common, curve: spec.curve })
        : this.keyClient.createRsaKey(name, { ...common, keySize: this.options.rsaKeySize }),
    );
    const version = key.properties.version ?? '';
    this.keys.set(version, key);
    return toKeyVersion(key.properties, key.key, alg);
  }

  async disableVersion(kid: string): Promise<void> {
    await this.call('update', kid, () => this.keyClient.updateKeyProperties(this.options.keyName, kid, { enabled: false }));
    this.keys.delete(kid);
    this.cryptoClients.delete(kid);
  }

  /**
   * One client per version, made from the key already read when possible (then the SDK needs no
   * GET before signing); otherwise from the full key id, and the SDK reads the key once.
   */
  private cryptoClient(kid: string): CryptographyClient {
    let client = this.cryptoClients.get(kid);
    if (!client) {
      const key = this.keys.get(kid);
      const keyId = `${this.options.vaultUrl.replace(/\/+$/, '')}/keys/${encodeURIComponent(this.options.keyName)}/${encodeURIComponent(kid)}`;
      client = key ? new CryptographyClient(key, this.options.credential, this.clientOptions) : new CryptographyClient(keyId, this.options.credential, this.clientOptions);
      this.cryptoClients.set(kid, client);
    }
    return client;
  }

  /**
   * The SDK refuses, before calling, a key outside its nbf/exp or without the operation in its
   * key_ops, with an Error whose only information is its text. The same facts are in the key we
   * hold, so they are checked here first and answered with the store's own failures.
   */
  private checkUsable(kid: string, operation: 'sign' | 'verify'): void {
    const key = this.keys.get(kid);
    if (!key) return;
    const now = nowSeconds(this.clock);
    const notBefore = seconds(key.properties.notBefore);
    const expires = seconds(key.properties.expiresOn);
    const what = `version ${kid} of key '${this.options.keyName}'`;
    if (operation === 'sign' && notBefore !== undefined && now < notBefore) throw new KeyStoreError('not_yet_valid', `${what} is not valid yet (nbf).`);
    if (operation === 'sign' && expires !== undefined && now > expires) throw new KeyStoreError('expired', `${what} has expired (exp).`);
    if (key.keyOperations && !key.keyOperations.includes(operation)) {
      throw new KeyStoreError('bad_parameter', `${what} does not allow '${operation}' (its key_ops); create versions with sign and verify.`);
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
