import type { JwsAlgorithm } from '../algorithms';

/** A public JWK as published in the JWKS (never any private member). */
export interface PublicJwk {
  kty: 'RSA' | 'EC' | 'oct';
  kid: string;
  alg: JwsAlgorithm;
  use: 'sig';
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/**
 * One version of the signing key, as the store reports it. Versions are immutable except for
 * `enabled` (and, in Key Vault, nbf/exp/tags through an update). Times are Unix seconds, as in
 * Key Vault's own `attributes`.
 */
export interface KeyVersion {
  /** Opaque id used as the JWT `kid`: never a URL or a path. */
  kid: string;
  alg: JwsAlgorithm;
  created: number;
  notBefore?: number;
  expires?: number;
  enabled: boolean;
  /** Public key for local verification; undefined for HMAC secrets (never published). */
  publicJwk?: PublicJwk;
  tags: Readonly<Record<string, string>>;
}

export interface CreateVersionOptions {
  /** Unix seconds; the store (and Key Vault itself) refuses to sign before this. */
  notBefore: number;
  /** Unix seconds; optional hard expiry. */
  expires?: number;
  tags?: Record<string, string>;
}

/**
 * The port every key store implements (embedded file store, Azure Key Vault keys, and for HS*
 * the secret stores). The contract suite in tests/ runs against each implementation.
 */
export interface KeyStore {
  readonly kind: 'embedded' | 'keyvault';
  /** Whether this store can hold keys for the algorithm (e.g. Key Vault keys cannot do HMAC). */
  isSupported(alg: JwsAlgorithm): boolean;
  /** Every version of the key, any order; callers sort by `created`. */
  listVersions(): Promise<KeyVersion[]>;
  /** Creates a new version; it signs nothing before `notBefore`. */
  createVersion(options: CreateVersionOptions): Promise<KeyVersion>;
  /** Disables a version for good: it signs and verifies nothing any more. Never deletes. */
  disableVersion(kid: string): Promise<void>;
  /**
   * Signs the JWS signing input (`base64url(header).base64url(payload)`) with exactly the named
   * version and returns the JWS signature bytes (raw r‖s for ECDSA). Key Vault hashes it and signs
   * the digest; the embedded store hands it to crypto.sign.
   */
  sign(kid: string, alg: JwsAlgorithm, signingInput: Buffer): Promise<Buffer>;
  /** Remote verification of a JWS signature (Key Vault `verify`); optional. */
  verify?(kid: string, alg: JwsAlgorithm, signingInput: Buffer, signature: Buffer): Promise<boolean>;
  /**
   * HMAC only: the secret bytes of a version, for local HMAC. Asymmetric stores leave it out.
   */
  getSecret?(kid: string): Promise<Buffer>;
}

/**
 * Why a key store refused or failed, independent of the store. The service maps these to HTTP
 * answers (403-like states become 503 `key_store_forbidden` with the missing role or state named,
 * outages 503 `key_store_unavailable` with Retry-After).
 */
export type KeyStoreFailure =
  | 'not_found' // the key or version does not exist
  | 'disabled' // the version is disabled (Key Vault 403 KeyDisabled)
  | 'not_yet_valid' // before nbf (Key Vault 403)
  | 'expired' // after exp (Key Vault 403)
  | 'forbidden' // the identity lacks a role / permission (Key Vault 403 Forbidden)
  | 'bad_parameter' // e.g. a digest of the wrong length (Key Vault 400 BadParameter)
  | 'throttled' // Key Vault 429, retries exhausted
  | 'unavailable' // outage, timeout, 5xx after retries
  | 'corrupt'; // embedded store: a file can not be decrypted or parsed

export class KeyStoreError extends Error {
  readonly failure: KeyStoreFailure;
  /** Seconds a caller should wait, when the store knows (429/503). */
  readonly retryAfterSeconds?: number;
  constructor(failure: KeyStoreFailure, message: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeyStoreError';
    this.failure = failure;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isKeyStoreError(value: unknown): value is KeyStoreError {
  return value instanceof KeyStoreError;
}
