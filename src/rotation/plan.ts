import { byActivation, type PhasedKey } from '../keys/phases';
import type { KeyAlgorithm } from '../algorithms';

/** The timer's rules for one key: the signing key (JWT_ALG) or the encryption key (RSA-OAEP-256), same periods. */
export interface RotationPolicy<A extends KeyAlgorithm = KeyAlgorithm> {
  alg: A;
  intervalSeconds: number;
  propagationSeconds: number;
}

export interface RotationPlan {
  /** Create a version signing from this Unix time, when set. */
  createNotBefore?: number;
  /** Retired versions whose retention is over: no token they signed can still be valid. */
  disable: string[];
  reason: string;
}

/**
 * What the timer should do now, from the computed phases alone (so every instance plans the same):
 * - announce a successor `propagation` before the active key reaches the rotation interval, so it
 *   activates when the interval ends and every verifier has seen it for `propagation`;
 * - never announce a second successor while one is announced;
 * - disable a retired version only after its `disablesAt` (retiresAt + retention).
 * The timer never disables an active or announced key and never deletes anything.
 */
export function planRotation(phased: readonly PhasedKey<KeyAlgorithm>[], now: number, policy: RotationPolicy): RotationPlan {
  const disable = phased
    .filter((p) => p.phase === 'retired' && p.disablesAt !== undefined && p.disablesAt <= now)
    .map((p) => p.version.kid);
  const announced = phased.some((p) => p.phase === 'announced' && p.version.alg === policy.alg);
  const active = phased.find((p) => p.phase === 'active');
  if (announced) return { disable, reason: 'a successor is already announced' };
  if (!active) return { createNotBefore: now, disable, reason: 'no key can sign: creating one that signs at once' };
  const rotateAt = active.activatesAt + policy.intervalSeconds - policy.propagationSeconds;
  if (now < rotateAt) return { disable, reason: `the active key is rotated from ${new Date(rotateAt * 1000).toISOString()}` };
  return { createNotBefore: now + policy.propagationSeconds, disable, reason: 'the active key reaches the rotation interval' };
}

/**
 * Of several versions announced at once (two instances rotating in the same instant, which Key
 * Vault can not prevent), all but the first in activation order are surplus. They never signed,
 * so disabling them is always safe, and every instance picks the same one to keep.
 */
export function surplusAnnounced(phased: readonly PhasedKey<KeyAlgorithm>[], alg: KeyAlgorithm): string[] {
  const announced = phased.filter((p) => p.phase === 'announced' && p.version.alg === alg).map((p) => p.version);
  return announced.sort(byActivation).slice(1).map((v) => v.kid);
}
