import type { JwsAlgorithm } from '../jwt/algorithms';

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
   * Signs a digest (the hash of the JWS signing input) with exactly the named version and returns
   * the JWS signature bytes (raw r‖s for ECDSA).
   */
  signDigest(kid: string, alg: JwsAlgorithm, digest: Buffer): Promise<Buffer>;
  /** Remote verification of a digest (Key Vault `verify`); optional. */
  verifyDigest?(kid: string, alg: JwsAlgorithm, digest: Buffer, signature: Buffer): Promise<boolean>;
  /**
   * HMAC only: the secret bytes of a version, for local HMAC. Asymmetric stores leave it out.
   */
  getSecret?(kid: string): Promise<Buffer>;
}
