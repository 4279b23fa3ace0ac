import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { ServiceError } from '../errors';
import { decodeBase64Url } from '../jwt/base64url';
import type { VerifyErrorCode } from '../jwt/verify-errors';
import type { EncryptionKeyRing, EncryptionRingKey } from '../keys/encryption-ring';
import { isKeyStoreError, type EncryptionKeyStore } from '../keys/key-store';
import { contentKeyLength, isCompactJwe, parseCompactJwe, type ParsedJwe } from './compact-jwe';
import { decryptContent } from './content-decryption';
import { ContentKeyCache } from './content-key-cache';

/** What /api/verify goes on with: the signed JWT inside (or the token itself, not being a JWE), or why it is inactive. */
export type OpenedToken = { active?: undefined; token: unknown } | { active: false; error: VerifyErrorCode; kid?: string };

export interface OpenerDependencies {
  ring: EncryptionKeyRing;
  store: EncryptionKeyStore;
  cache: ContentKeyCache;
  clock: Clock;
  maxTokenBytes: number;
  clockSkewSeconds: number;
}

const inactive = (error: VerifyErrorCode, kid?: string): OpenedToken => ({ active: false, error, kid });

/** Unwrap failures the sender can cause: they must look exactly like a ciphertext that does not authenticate. */
const SENDER_CAUSED = new Set(['bad_parameter', 'not_found', 'not_yet_valid', 'expired']);

/**
 * The store's unwrap, in the shape RFC 7516 §11.5 asks for: when the encrypted key does not
 * unwrap (or unwraps to a key of the wrong length for `enc`), decryption goes on with a random
 * content key, so a bad key and a bad tag take the same path and end in the same answer. The
 * store being unreachable or forbidden is the service's problem: a 503, never a verdict on the token.
 */
async function unwrapOrStandIn(parsed: ParsedJwe, store: EncryptionKeyStore): Promise<Buffer> {
  const length = contentKeyLength(parsed.enc);
  let contentKey: Buffer;
  try {
    contentKey = await store.unwrapKey(parsed.kid, parsed.encryptedKey);
  } catch (error: unknown) {
    if (!isKeyStoreError(error) || !SENDER_CAUSED.has(error.failure)) throw error;
    return randomBytes(length);
  }
  return contentKey.length === length ? contentKey : randomBytes(length);
}

function storeFailure(error: unknown): ServiceError | undefined {
  if (!isKeyStoreError(error)) return undefined;
  if (error.failure === 'forbidden') return new ServiceError('key_store_forbidden', error.message, { retryAfterSeconds: 60, cause: error });
  if (error.failure === 'throttled' || error.failure === 'unavailable') {
    return new ServiceError('key_store_unavailable', 'The key store is unavailable; try again shortly.', { retryAfterSeconds: error.retryAfterSeconds ?? 5, cause: error });
  }
  return undefined;
}

/** The inner token's exp, read (not trusted) only to bound how long its content key stays cached. */
function expiryOf(jws: string): number | undefined {
  const payload = decodeBase64Url(jws.slice(jws.indexOf('.') + 1, jws.lastIndexOf('.')));
  try {
    const exp: unknown = payload && (JSON.parse(payload.toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

function keyRefusal(ringKey: EncryptionRingKey | undefined, kid: string): OpenedToken | undefined {
  if (!ringKey) return inactive('unknown_key', kid);
  if (!ringKey.version.enabled) return inactive('key_disabled', kid);
  return undefined;
}

/**
 * Opens a JWE addressed to this service (RFC 7519 §7.2 steps 1–8 for a nested JWT): strict parsing
 * and the header allowlist, the key by `kid` among the encryption key's versions (an unknown kid
 * refreshes the ring at most once per cool-down), the content key from the cache or one `unwrapKey`
 * on the pinned version, AES-GCM decryption locally, and a signed JWT inside. Anything else that is
 * not a 5-segment string passes through untouched for the JWS verifier to judge.
 */
export async function openToken(token: unknown, deps: OpenerDependencies): Promise<OpenedToken> {
  if (!isCompactJwe(token)) return { token };
  const parsed = parseCompactJwe(token, deps.maxTokenBytes);
  if ('error' in parsed) return inactive(parsed.error, parsed.kid);
  const { kid } = parsed;
  const ringKey = deps.ring.get(kid) ?? (await deps.ring.resolve(kid));
  const refused = keyRefusal(ringKey, kid);
  if (refused || !ringKey) return refused ?? inactive('unknown_key', kid);
  // An RSA-OAEP ciphertext is exactly the modulus long: anything else was never wrapped to this key.
  if (parsed.encryptedKey.length !== ringKey.encryptedKeyLength) return inactive('decrypt_failed', kid);

  const cacheKey = ContentKeyCache.keyOf(kid, parsed.encryptedKeySegment);
  let contentKey: Buffer;
  try {
    contentKey = await deps.cache.get(cacheKey, () => unwrapOrStandIn(parsed, deps.store));
  } catch (error: unknown) {
    if (isKeyStoreError(error) && error.failure === 'disabled') return inactive('key_disabled', kid);
    throw storeFailure(error) ?? error;
  }
  const plaintext = decryptContent(parsed, contentKey);
  if (!plaintext) return inactive('decrypt_failed', kid);

  // RFC 7519 §7.2 step 8 would recurse into a JWE inside; here the payload must be a signed JWT.
  const inner = plaintext.toString('latin1');
  if (inner.split('.').length !== 3) return inactive('wrong_content_type', kid);
  const exp = expiryOf(inner);
  deps.cache.expireBy(cacheKey, exp === undefined ? deps.clock.nowMs() : (exp + deps.clockSkewSeconds) * 1000);
  return { token: inner };
}
