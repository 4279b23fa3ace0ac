/**
 * HS* on Azure Key Vault: Key Vault keys can not do HMAC (only Managed HSM can), so each HMAC key
 * version is a Key Vault **secret** version, generated here with the CSPRNG (as long as the hash
 * output), stored with nbf/exp/tags and a marked content type, never accepted from a caller and
 * never returned by any endpoint. The key ring reads each version's value once; signing and
 * verifying then make no Key Vault call.
 */
import { randomBytes } from 'node:crypto';
import { SecretClient } from '@azure/keyvault-secrets';
import type { SecretProperties } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { algorithmSpec, isHmac, isSupportedAlgorithm } from '../../algorithms';
import type { JwsAlgorithm } from '../../algorithms';
import { KeyStoreError } from '../key-store';
import type { CreateVersionOptions, KeyStore, KeyVersion } from '../key-store';
import { systemClock, type Clock } from '../../clock';
import { toKeyStoreError, type VaultOperationName } from './vault-failure';
import { DEFAULT_RETRY_POLICY, keyVaultHttpClient, type RetryPolicy, type VaultAttempt } from './vault-transport';

export const HMAC_CONTENT_TYPE = 'application/vnd.kv-jwt.hmac-key';

export interface KeyVaultSecretStoreOptions {
  vaultUrl: string;
  secretName: string;
  alg: JwsAlgorithm;
  credential: TokenCredential;
  disableChallengeResourceVerification?: boolean;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  /** Told of every HTTP attempt (telemetry). */
  observe?: (attempt: VaultAttempt) => void;
}

const seconds = (date: Date | undefined): number | undefined => (date ? Math.floor(date.getTime() / 1000) : undefined);

export class KeyVaultSecretStore implements KeyStore {
  readonly kind = 'keyvault' as const;
  private readonly client: SecretClient;
  private readonly clock: Clock;

  constructor(private readonly options: KeyVaultSecretStoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.client = new SecretClient(options.vaultUrl, options.credential, {
      disableChallengeResourceVerification: options.disableChallengeResourceVerification ?? false,
      retryOptions: { maxRetries: 0 }, // vault-transport.ts retries, the way Key Vault needs
      httpClient: keyVaultHttpClient({ ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) }, undefined, options.observe),
    });
  }

  isSupported(alg: JwsAlgorithm): boolean {
    return isHmac(alg);
  }

  /** Runs one SDK call and turns its failure into a KeyStoreError (vault-failure.ts). */
  private async call<T>(operation: VaultOperationName, version: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error: unknown) {
      throw toKeyStoreError(error, { operation, keyName: this.options.secretName, version, resource: 'secret' }, this.clock.nowMs());
    }
  }

  private toVersion(properties: SecretProperties): KeyVersion | undefined {
    const tagged = properties.tags?.alg;
    const alg = isSupportedAlgorithm(tagged) && isHmac(tagged) ? tagged : undefined;
    if (!properties.version || !alg || !properties.contentType?.startsWith(HMAC_CONTENT_TYPE)) return undefined;
    return {
      kid: properties.version,
      alg,
      created: seconds(properties.createdOn) ?? 0,
      notBefore: seconds(properties.notBefore),
      expires: seconds(properties.expiresOn),
      enabled: properties.enabled ?? true,
      tags: { ...(properties.tags ?? {}) },
    };
  }

  /** Versions of the secret that this service made (other versions of the name are ignored). */
  listVersions(): Promise<KeyVersion[]> {
    return this.call('list', undefined, async () => {
      const versions: KeyVersion[] = [];
      for await (const properties of this.client.listPropertiesOfSecretVersions(this.options.secretName)) {
        const version = this.toVersion(properties);
        if (version) versions.push(version);
      }
      return versions;
    });
  }

  async createVersion(options: CreateVersionOptions): Promise<KeyVersion> {
    const alg = this.options.alg;
    const value = randomBytes(algorithmSpec(alg).digestLength).toString('base64url');
    const secret = await this.call('create', undefined, () =>
      this.client.setSecret(this.options.secretName, value, {
        contentType: `${HMAC_CONTENT_TYPE};alg=${alg}`,
        notBefore: options.notBefore === undefined ? undefined : new Date(options.notBefore * 1000),
        expiresOn: options.expires === undefined ? undefined : new Date(options.expires * 1000),
        tags: { ...(options.tags ?? {}), alg },
      }),
    );
    const version = this.toVersion(secret.properties);
    if (!version) throw new KeyStoreError('bad_parameter', 'Key Vault returned a secret version without the expected attributes.');
    return version;
  }

  async disableVersion(kid: string): Promise<void> {
    await this.call('update', kid, () => this.client.updateSecretProperties(this.options.secretName, kid, { enabled: false }));
  }

  sign(): Promise<Buffer> {
    return Promise.reject(new KeyStoreError('bad_parameter', 'HMAC versions are not signed by the store: the service computes the HMAC from the cached secret.'));
  }

  /** The secret bytes of one version; shorter than the hash output is refused (RFC 7518 §3.2). */
  async getSecret(kid: string): Promise<Buffer> {
    const secret = await this.call('get', kid, () => this.client.getSecret(this.options.secretName, { version: kid }));
    const bytes = Buffer.from(secret.value ?? '', 'base64url');
    const alg = this.toVersion(secret.properties)?.alg ?? this.options.alg;
    if (bytes.length < algorithmSpec(alg).digestLength) {
      throw new KeyStoreError('bad_parameter', `Secret version ${kid} of '${this.options.secretName}' is shorter than ${algorithmSpec(alg).digestLength} bytes, the minimum for ${alg}: it is refused.`);
    }
    return bytes;
  }
}
