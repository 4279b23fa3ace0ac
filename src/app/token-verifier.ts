import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import type { KeyRing } from '../keys/key-ring';
import type { KeyStore } from '../keys/key-store';
import { judgeSignedClaims, verifyToken, verifyTokenCached, type VerifyDependencies, type VerifyOptions, type VerifyResult } from '../jwt/verify';
import { DEFAULT_VERIFIED_CACHE, VerifiedTokenCache, type VerifiedTokenCacheOptions } from '../jwt/verified-cache';
import type { RevocationView } from '../revocation/revocation';

/** The verification rules of this deployment, bound once per process instead of once per request. */
export interface TokenVerifier {
  /**
   * By VERIFY_MODE. `audiences`: the audiences this call may accept (a caller's own, narrowed by
   * its request); JWT_AUDIENCES when not given.
   */
  verify(token: unknown, audiences?: readonly string[]): Promise<VerifyResult>;
  /** With the cached public keys whatever VERIFY_MODE says (revocation only needs to trust its own tokens). */
  verifyLocally(token: unknown, audiences?: readonly string[]): Promise<VerifyResult>;
}

export interface TokenVerifierTuning {
  /** The verified-token cache of local verification; `false` turns it off (the differential test's reference). */
  cache?: VerifiedTokenCacheOptions | false;
}

type Verify = (token: unknown, audiences?: readonly string[]) => Promise<VerifyResult>;

/**
 * Local verification through the verified-token cache. A hit is judged again on everything that
 * can change (the key's state and active window, the time, this call's audiences, revocation); only
 * parsing and the signature are skipped. Only verdicts reached without I/O are admitted, with the
 * kid's ring generation read in the same turn as the signature check, so no ring refresh can slip
 * between the two. VERIFY_MODE=keyvault does not come here: it promises a Key Vault `verify` per token.
 *
 * A revocation view that can not be trusted throws `revocation_unavailable` from `isRevoked`, on a
 * hit as on a miss: that is no verdict, so nothing is admitted or dropped for it, and it reaches the
 * caller as a rejected promise (a 503), as it does from the uncached path.
 */
function cachedLocalVerify(cache: VerifiedTokenCache, options: VerifyOptions, deps: VerifyDependencies): Verify {
  const verifyCached = cachedVerdict(cache, options, deps);
  return (token, audiences) => {
    try {
      return verifyCached(token, audiences);
    } catch (error: unknown) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
}

function cachedVerdict(cache: VerifiedTokenCache, options: VerifyOptions, deps: VerifyDependencies): Verify {
  return (token, audiences = options.audiences) => {
    if (typeof token !== 'string' || !cache.accepts(token)) return verifyToken(token, options, deps, audiences);
    const hit = cache.find(token);
    if (hit) {
      const ringKey = deps.ring.get(hit.entry.signed.kid);
      if (ringKey && ringKey.generation === hit.entry.generation) {
        const result = judgeSignedClaims(hit.entry.signed, ringKey, options, deps, audiences);
        // A verdict that turned (expired, revoked, key disabled or past its window) goes: the full path answers it from now on.
        if (!result.active && result.error !== 'wrong_audience') cache.forget(hit.digest);
        return Promise.resolve(result);
      }
      cache.forget(hit.digest);
    }
    const now = verifyTokenCached(token, options, deps, audiences);
    if (now === undefined) return verifyToken(token, options, deps, audiences); // an unknown kid: the ring may refresh
    if (now.active) {
      const ringKey = deps.ring.get(now.kid);
      if (ringKey) cache.admit(token, { claims: now.claims, payloadJson: now.payloadJson, kid: now.kid, alg: now.alg }, ringKey.generation);
    }
    return Promise.resolve(now);
  };
}

export function createTokenVerifier(config: AppConfig, ring: KeyRing, store: KeyStore, clock: Clock, revocations: RevocationView, tuning: TokenVerifierTuning = {}): TokenVerifier {
  const options: VerifyOptions = { ...config.verify, retirementGraceSeconds: Math.ceil(config.ring.refreshIntervalMs / 1000) };
  const local: VerifyDependencies = { ring, clock, revocations };
  const cacheOptions = tuning.cache ?? DEFAULT_VERIFIED_CACHE;
  const verifyLocally: Verify = cacheOptions === false ? (token, audiences) => verifyToken(token, options, local, audiences) : cachedLocalVerify(new VerifiedTokenCache(cacheOptions), options, local);
  const remoteVerify = config.verifyMode === 'keyvault' && store.verify ? store.verify.bind(store) : undefined;
  return {
    verify: remoteVerify ? (token, audiences) => verifyToken(token, options, { ...local, remoteVerify }, audiences) : verifyLocally,
    verifyLocally,
  };
}
