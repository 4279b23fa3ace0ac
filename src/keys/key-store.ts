import type { JwsAlgorithm, KeyAlgorithm, KeyWrapAlgorithm } from '../algorithms';

/** What a key is for (the JWK `use`): signing JWS, or receiving JWE (its content keys are wrapped to it). */
export type KeyUse = 'sig' | 'enc';
/** The `use` that follows from the algorithm: the key-wrap algorithm encrypts, every JWS algorithm signs. */
export type UseOf<A extends KeyAlgorithm> = A extends KeyWrapAlgorithm ? 'enc' : 'sig';

/**
 * A public JWK as published in the JWKS (never any private member). Signing keys (the default
 * type) carry a JWS `alg` and `use: "sig"`; encryption keys `RSA-OAEP-256` and `use: "enc"`.
 */
export interface PublicJwk<A extends KeyAlgorithm = JwsAlgorithm> {
  kty: 'RSA' | 'EC' | 'oct';
  kid: string;
  alg: A;
  use: UseOf<A>;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/**
 * One version of a key — the signing key (the default type) or the encryption key — as the store
 * reports it. Versions are immutable except for `enabled` (and, in Key Vault, nbf/exp/tags through
 * an update). Times are Unix seconds, as in Key Vault's own `attributes`.
 */
export interface KeyVersion<A extends KeyAlgorithm = JwsAlgorithm> {
  /** Opaque id used as the JWT/JWE `kid`: never a URL or a path. */
  kid: string;
  alg: A;
  created: number;
  notBefore?: number;
  expires?: number;
  enabled: boolean;
  /** Public key for local verification (or, for the encryption key, for wrapping); undefined for HMAC secrets (never published). */
  publicJwk?: PublicJwk<A>;
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
 * The versions of one key, whatever it is for: what the key ring and rotation need (list, create,
 * disable), shared by the signing key and the encryption key.
 */
export interface VersionStore<A extends KeyAlgorithm = JwsAlgorithm> {
  readonly kind: 'embedded' | 'keyvault';
  /** Every version of the key, any order; callers sort by `created`. */
  listVersions(): Promise<KeyVersion<A>[]>;
  /** Creates a new version; it signs (or is announced as the current encryption key) from `notBefore`. */
  createVersion(options: CreateVersionOptions): Promise<KeyVersion<A>>;
  /** Disables a version for good: it signs, verifies or unwraps nothing any more. Never deletes. */
  disableVersion(kid: string): Promise<void>;
}

/**
 * The port every signing key store implements (embedded file store, Azure Key Vault keys, and for
 * HS* the secret stores). The contract suite in tests/ runs against each implementation.
 */
export interface KeyStore extends VersionStore<JwsAlgorithm> {
  /** Whether this store can hold keys for the algorithm (e.g. Key Vault keys cannot do HMAC). */
  isSupported(alg: JwsAlgorithm): boolean;
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
 * The encryption key (RSA, `RSA-OAEP-256`, key operations wrapKey/unwrapKey only): JWEs addressed
 * to this service wrap their content key to one of its versions. Its private half never leaves the
 * store; the public half is published (`use: "enc"`) and wraps locally.
 */
export interface EncryptionKeyStore extends VersionStore<KeyWrapAlgorithm> {
  /**
   * Unwraps a JWE encrypted key (RSAES-OAEP-256) with exactly the named version and returns the
   * content encryption key. Like Key Vault, allowed outside nbf/exp (a partner may use an announced
   * key), refused for a disabled version; an encrypted key that does not decrypt is `bad_parameter`.
   */
  unwrapKey(kid: string, encryptedKey: Buffer): Promise<Buffer>;
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
