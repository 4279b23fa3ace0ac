import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import type { KeyRing } from '../keys/key-ring';
import type { KeyStore } from '../keys/key-store';
import { verifyToken, type VerifyDependencies, type VerifyOptions, type VerifyResult } from '../jwt/verify';
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

export function createTokenVerifier(config: AppConfig, ring: KeyRing, store: KeyStore, clock: Clock, revocations: RevocationView): TokenVerifier {
  const options: VerifyOptions = { ...config.verify, retirementGraceSeconds: Math.ceil(config.ring.refreshIntervalMs / 1000) };
  const local: VerifyDependencies = { ring, clock, revocations };
  const remoteVerify = config.verifyMode === 'keyvault' && store.verify ? store.verify.bind(store) : undefined;
  const byMode: VerifyDependencies = remoteVerify ? { ...local, remoteVerify } : local;
  return {
    verify: (token, audiences) => verifyToken(token, options, byMode, audiences),
    verifyLocally: (token, audiences) => verifyToken(token, options, local, audiences),
  };
}
