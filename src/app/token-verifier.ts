import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import type { KeyRing } from '../keys/key-ring';
import type { KeyStore } from '../keys/key-store';
import { verifyTokenNowOrLater, type VerifyDependencies, type VerifyOptions, type VerifyResult } from '../jwt/verify';
import type { RevocationView } from '../revocation/revocation';

/** The verification rules of this deployment, bound once per process instead of once per request. */
export interface TokenVerifier {
  /** By VERIFY_MODE; synchronous when the cached keys answer, a promise when I/O is needed. */
  verify(token: unknown, audience?: string): VerifyResult | Promise<VerifyResult>;
  /** With the cached public keys whatever VERIFY_MODE says (revocation only needs to trust its own tokens). */
  verifyLocally(token: unknown): VerifyResult | Promise<VerifyResult>;
}

export function createTokenVerifier(config: AppConfig, ring: KeyRing, store: KeyStore, clock: Clock, revocations: RevocationView): TokenVerifier {
  const options: VerifyOptions = {
    issuer: config.issuer,
    audiences: config.audiences,
    clockSkewSeconds: Math.floor(config.clockSkewMs / 1000),
    maxTokenBytes: config.limits.maxTokenBytes,
  };
  const local: VerifyDependencies = { ring, clock, revocations };
  const remoteVerify = config.verifyMode === 'keyvault' && store.verifyDigest ? store.verifyDigest.bind(store) : undefined;
  const byMode: VerifyDependencies = remoteVerify ? { ...local, remoteVerify } : local;
  return {
    verify: (token, audience) => verifyTokenNowOrLater(token, options, byMode, audience),
    verifyLocally: (token) => verifyTokenNowOrLater(token, options, local),
  };
}
