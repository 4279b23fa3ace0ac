/**
 * From Key Vault's shapes (KeyVaultKey, KeyProperties: Dates, Uint8Array coordinates) to the port's
 * KeyVersion and public JWK (Unix seconds, base64url). The kid is the bare version id, never the
 * vault URL.
 */
import type { JsonWebKey, KeyProperties } from '@azure/keyvault-keys';
import { algorithmSpec, isHmac, isSupportedAlgorithm, KEY_WRAP_ALGORITHM } from '../../algorithms';
import type { JwsAlgorithm, KeyWrapAlgorithm } from '../../algorithms';
import type { KeyVersion, PublicJwk } from '../key-store';

/** Tag written on every version we create, so its algorithm is known without guessing. */
export const ALG_TAG = 'alg';

const toSeconds = (date: Date | undefined): number | undefined => (date === undefined ? undefined : Math.floor(date.getTime() / 1000));
const b64u = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('base64url'));

const CURVE_ALG: Record<string, JwsAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/**
 * The version's algorithm: its `alg` tag when it fits the key, else what its key type implies (a
 * curve names one ES alg; an RSA key keeps the configured RSA alg, RS256 otherwise).
 */
export function algorithmOf(tags: Readonly<Record<string, string>>, jwk: JsonWebKey | undefined, configured: JwsAlgorithm): JwsAlgorithm {
  const kty = jwk?.kty?.replace(/-HSM$/, '');
  const tagged = tags[ALG_TAG];
  if (isSupportedAlgorithm(tagged) && !isHmac(tagged) && (kty === undefined || algorithmSpec(tagged).kty === kty)) return tagged;
  if (kty === 'EC' && jwk?.crv && CURVE_ALG[jwk.crv]) return CURVE_ALG[jwk.crv];
  if (kty === 'RSA') return algorithmSpec(configured).kty === 'RSA' ? configured : 'RS256';
  return configured;
}

export function toPublicJwk(jwk: JsonWebKey, kid: string, alg: JwsAlgorithm): PublicJwk | undefined {
  const kty = jwk.kty?.replace(/-HSM$/, '');
  if (kty === 'RSA' && jwk.n && jwk.e) {
    return { kty: 'RSA', kid, alg, use: 'sig', n: b64u(jwk.n), e: b64u(jwk.e) };
  }
  if (kty === 'EC' && jwk.crv && jwk.x && jwk.y) {
    return { kty: 'EC', kid, alg, use: 'sig', crv: jwk.crv, x: b64u(jwk.x), y: b64u(jwk.y) };
  }
  return undefined;
}

export function toKeyVersion(properties: KeyProperties, jwk: JsonWebKey | undefined, configured: JwsAlgorithm): KeyVersion {
  const kid = properties.version ?? '';
  const tags = { ...(properties.tags ?? {}) };
  const alg = algorithmOf(tags, jwk, configured);
  return {
    kid,
    alg,
    created: toSeconds(properties.createdOn) ?? 0,
    notBefore: toSeconds(properties.notBefore),
    expires: toSeconds(properties.expiresOn),
    enabled: properties.enabled ?? true,
    publicJwk: jwk ? toPublicJwk(jwk, kid, alg) : undefined,
    tags,
  };
}

/**
 * A version of the encryption key: always RSA-OAEP-256 (the one thing it is created for), its
 * public JWK `use: "enc"`. A version that is not an RSA key gets no public key and is never used.
 */
export function toEncryptionKeyVersion(properties: KeyProperties, jwk: JsonWebKey | undefined): KeyVersion<KeyWrapAlgorithm> {
  const kid = properties.version ?? '';
  const rsa = jwk?.kty?.replace(/-HSM$/, '') === 'RSA' && jwk.n && jwk.e;
  return {
    kid,
    alg: KEY_WRAP_ALGORITHM,
    created: toSeconds(properties.createdOn) ?? 0,
    notBefore: toSeconds(properties.notBefore),
    expires: toSeconds(properties.expiresOn),
    enabled: properties.enabled ?? true,
    publicJwk: rsa ? { kty: 'RSA', kid, alg: KEY_WRAP_ALGORITHM, use: 'enc', n: b64u(jwk.n), e: b64u(jwk.e) } : undefined,
    tags: { ...(properties.tags ?? {}) },
  };
}
