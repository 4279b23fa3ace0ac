import { createHmac } from 'node:crypto';
import { nowSeconds, type Clock } from '../clock';
import { ServiceError } from '../errors';
import { isKeyStoreError, type KeyStore } from '../keys/key-store';
import type { KeyRing, RingKey } from '../keys/key-ring';
import { keyStoreFailureToServiceError } from '../keys/store-errors';
import { algorithmSpec, isHmac, type JwsAlgorithm } from '../algorithms';
import { encodeBase64Url, encodeJsonSegment } from './base64url';
import { checkCallerClaims, type ClaimRules } from './claims';
import { newTokenId } from './token-id';

export interface SignRequest {
  claims: unknown;
  ttlSeconds?: unknown;
  /** Who asks: the caller's id, written as the `azp` claim (RFC 7519 private use, OIDC's authorized party). */
  authorizedParty: string;
  /**
   * The `cnf` claim (RFC 7800), set by the service from a checked request (src/binding/sign-binding.ts):
   * the token is then bound to a client certificate or a DPoP key. Callers' own `cnf` never gets here.
   */
  cnf?: Readonly<Record<string, string>>;
}

export interface SignRules extends ClaimRules {
  issuer: string;
  defaultTtlMs: number;
  /** JWT_MAX_TTL: no token lives longer. */
  maxTtlMs: number;
  /** The caller's own limit (CALLER_POLICY maxTtl), when stricter. */
  callerMaxTtlMs?: number;
}

export interface SignDependencies {
  ring: KeyRing;
  store: KeyStore;
  clock: Clock;
}

export interface SignedToken {
  token: string;
  kid: string;
  alg: JwsAlgorithm;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

const STORE_STATES_WORTH_A_REFRESH = new Set(['disabled', 'not_found', 'expired']);

function ttlSecondsFor(request: SignRequest, rules: SignRules): number {
  if (request.ttlSeconds === undefined) return Math.floor(Math.min(rules.defaultTtlMs, rules.callerMaxTtlMs ?? Infinity) / 1000);
  const ttl = request.ttlSeconds;
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0) {
    throw new ServiceError('invalid_ttl', '"ttlSeconds" must be a positive whole number of seconds.');
  }
  if (ttl * 1000 > rules.maxTtlMs) {
    throw new ServiceError('invalid_ttl', `"ttlSeconds" may be at most ${Math.floor(rules.maxTtlMs / 1000)} (JWT_MAX_TTL).`);
  }
  if (rules.callerMaxTtlMs !== undefined && ttl * 1000 > rules.callerMaxTtlMs) {
    throw new ServiceError('ttl_not_allowed', `This caller may request at most ${Math.floor(rules.callerMaxTtlMs / 1000)} seconds.`);
  }
  return ttl;
}

/**
 * Issues a token: validates the caller's claims, adds the server-owned ones and has the key store
 * sign the signing input with the pinned active version (one store call per token).
 */
export async function signToken(request: SignRequest, rules: SignRules, deps: SignDependencies): Promise<SignedToken> {
  const checked = checkCallerClaims(request.claims, rules);
  const ttl = ttlSecondsFor(request, rules);
  const iat = nowSeconds(deps.clock);
  const exp = iat + ttl;
  const nbf = checked.nbf ?? iat;
  if (nbf >= exp) throw new ServiceError('invalid_claims', '"nbf" must be before the token expires.');
  const jti = newTokenId();
  const payload = { ...checked.claims, iss: rules.issuer, azp: request.authorizedParty, iat, nbf, exp, jti, ...(request.cnf ? { cnf: request.cnf } : {}) };

  await deps.ring.ready();
  try {
    return await signWithCandidates(deps.ring.signingCandidates(), deps, payload);
  } catch (error: unknown) {
    // Another instance may have disabled or replaced the key (emergency rotation): look once more.
    if (!isKeyStoreError(error) || !STORE_STATES_WORTH_A_REFRESH.has(error.failure)) throw toSignError(error);
    await deps.ring.refresh().catch(() => undefined);
    try {
      return await signWithCandidates(deps.ring.signingCandidates(), deps, payload);
    } catch (retryError: unknown) {
      throw toSignError(retryError);
    }
  }
}

function toSignError(error: unknown): ServiceError {
  return error instanceof ServiceError ? error : keyStoreFailureToServiceError(error);
}

async function signWithCandidates(
  candidates: RingKey[],
  deps: SignDependencies,
  payload: Record<string, unknown> & { iat: number; exp: number; jti: string },
): Promise<SignedToken> {
  if (candidates.length === 0) {
    throw new ServiceError('no_active_key', 'No signing key is active yet; try again shortly.', { retryAfterSeconds: 5 });
  }
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      return await signWith(candidate, deps.store, payload);
    } catch (error: unknown) {
      // Key Vault's clock decides nbf: if ours runs ahead, the previous key still signs.
      if (isKeyStoreError(error) && error.failure === 'not_yet_valid') {
        lastError = error;
        continue;
      }
      throw error;
    }
  }
  throw lastError;
}

async function signWith(
  ringKey: RingKey,
  store: KeyStore,
  payload: Record<string, unknown> & { iat: number; exp: number; jti: string },
): Promise<SignedToken> {
  const { kid, alg } = ringKey.version;
  const spec = algorithmSpec(alg);
  const signingInput = `${encodeJsonSegment({ alg, typ: 'JWT', kid })}.${encodeJsonSegment(orderClaims(payload))}`;
  let signature: Buffer;
  if (isHmac(alg)) {
    signature = createHmac(spec.hash, ringKey.key).update(signingInput).digest();
  } else {
    signature = await store.sign(kid, alg, Buffer.from(signingInput, 'latin1'));
  }
  return {
    token: `${signingInput}.${encodeBase64Url(signature)}`,
    kid,
    alg,
    jti: payload.jti,
    issuedAt: payload.iat,
    expiresAt: payload.exp,
  };
}

/** Registered claims first, in a familiar order (cnf, when bound, after them); the rest as the caller gave them. */
function orderClaims(payload: Record<string, unknown>): Record<string, unknown> {
  const { iss, sub, aud, azp, iat, nbf, exp, jti, cnf, ...rest } = payload;
  const ordered: Record<string, unknown> = { iss };
  if (sub !== undefined) ordered.sub = sub;
  Object.assign(ordered, { aud, azp, iat, nbf, exp, jti });
  if (cnf !== undefined) ordered.cnf = cnf;
  return Object.assign(ordered, rest);
}
