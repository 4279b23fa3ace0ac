/**
 * The KeyStore port on Azure Key Vault keys, through the real SDK. The private key never leaves
 * the vault: signing sends the digest to Key Vault `sign` with the pinned version.
 *
 * Call economy: a version's public key is read once (versions are immutable; only attributes are
 * re-read on refresh), and each version has one cached CryptographyClient built from the key we
 * already hold, so a token costs exactly one HTTP call (`sign`) once the credential holds a token.
 */
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { KeyClientOptions, KeyProperties, KeyVaultKey, SignatureAlgorithm } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import { algorithmSpec, isHmac, RSA_MODULUS_BITS } from '../../jwt/algorithms';
import type { JwsAlgorithm } from '../../jwt/algorithms';
import { isKeyStoreError } from '../key-store';
import type { CreateVersionOptions, KeyStore, KeyVersion } from '../key-store';
import type { VaultOperationName } from './failure-mapping';
import { DEFAULT_RETRY_POLICY, withRetries } from './retry';
import type { RetryPolicy } from './retry';
import { ALG_TAG, toKeyVersion } from './version-mapping';

export interface KeyVaultKeyStoreOptions {
  vaultUrl: string;
  keyName: string;
  /** The configured signing algorithm: new versions are made for it. */
  alg: JwsAlgorithm;
  credential: TokenCredential;
  /** For emulators and local doubles whose challenge names https://vault.azure.net. */
  disableChallengeResourceVerification?: boolean;
  retry?: Partial<RetryPolicy>;
}

const KEY_OPS = ['sign', 'verify'];
const KEY_READ_CONCURRENCY = 8;

export class KeyVaultKeyStore implements KeyStore {
  readonly kind = 'keyvault' as const;
  private readonly keyClient: KeyClient;
  private readonly clientOptions: KeyClientOptions;
  private readonly retry: RetryPolicy;
  /** Version id → the key as read once (public material; its properties refreshed by listing). */
  private readonly keys = new Map<string, KeyVaultKey>();
  private readonly cryptoClients = new Map<string, CryptographyClient>();

  constructor(private readonly options: KeyVaultKeyStoreOptions) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
    this.clientOptions = {
      disableChallengeResourceVerification: options.disableChallengeResourceVerification ?? false,
      // Our own bounded loop retries (see retry.ts); the SDK's would stack on top of it.
      retryOptions: { maxRetries: 0 },
    };
    this.keyClient = new KeyClient(options.vaultUrl, options.credential, this.clientOptions);
  }

  get keyName(): string {
    return this.options.keyName;
  }

  isSupported(alg: JwsAlgorithm): boolean {
    return !isHmac(alg);
  }

  private run<T>(operation: VaultOperationName, version: string | undefined, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    // Everything but create is idempotent (sign and verify included: same digest, same answer's meaning).
    return withRetries({ operation, keyName: this.options.keyName, version }, this.retry, call, operation !== 'create');
  }

  async listVersions(): Promise<KeyVersion[]> {
    const listed = await this.run('list', undefined, async (abortSignal) => {
      const all: KeyProperties[] = [];
      for await (const properties of this.keyClient.listPropertiesOfKeyVersions(this.options.keyName, { abortSignal })) {
        all.push(properties);
      }
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
      const key = await this.run('get', version, (abortSignal) => this.keyClient.getKey(this.options.keyName, { version, abortSignal }));
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
    const key = await this.run('create', undefined, (abortSignal) =>
      spec.kty === 'EC'
        ? this.keyClient.createEcKey(name, { ...common, curve: spec.curve, abortSignal })
        : this.keyClient.createRsaKey(name, { ...common, keySize: RSA_MODULUS_BITS, abortSignal }),
    );
    const version = key.properties.version ?? '';
    this.keys.set(version, key);
    return toKeyVersion(key.properties, key.key, alg);
  }

  async disableVersion(kid: string): Promise<void> {
    await this.run('update', kid, (abortSignal) =>
      this.keyClient.updateKeyProperties(this.options.keyName, kid, { enabled: false, abortSignal }),
    );
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

  async signDigest(kid: string, alg: JwsAlgorithm, digest: Buffer): Promise<Buffer> {
    const result = await this.forgetUnknown(kid, this.run('sign', kid, (abortSignal) => this.cryptoClient(kid).sign(alg as SignatureAlgorithm, digest, { abortSignal })));
    return Buffer.from(result.result);
  }

  async verifyDigest(kid: string, alg: JwsAlgorithm, digest: Buffer, signature: Buffer): Promise<boolean> {
    const result = await this.forgetUnknown(kid, this.run('verify', kid, (abortSignal) =>
      this.cryptoClient(kid).verify(alg as SignatureAlgorithm, digest, signature, { abortSignal }),
    ));
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
      await this.run('get', undefined, (abortSignal) => this.keyClient.getKey(this.options.keyName, { abortSignal }));
      return true;
    } catch (error: unknown) {
      if (isKeyStoreError(error) && error.failure === 'not_found') return false;
      throw error;
    }
  }
}
