import type { JwsAlgorithm, KeyAlgorithm } from '../algorithms';
import type { KeyVersion } from './key-store';

/**
 * Phases are computed from each version's attributes at a given instant, never stored: every
 * instance that sees the same versions at the same time agrees on which key signs.
 *
 *   announced ──(nbf passes)──▶ active ──(successor activates)──▶ retired ──(retention)──▶ disabled
 */
export type KeyPhase = 'announced' | 'active' | 'retired' | 'disabled';

export interface PhasedKey<A extends KeyAlgorithm = JwsAlgorithm> {
  version: KeyVersion<A>;
  phase: KeyPhase;
  /** Unix seconds at which the version may sign (nbf, else created). */
  activatesAt: number;
  /** Unix seconds at which a successor took (or will take) over signing. */
  retiresAt?: number;
  /** Unix seconds after which no token it signed can still be valid: retiresAt + retention. */
  disablesAt?: number;
}

/** A version of either key (signing or encryption), where only the phase matters. */
export type AnyPhasedKey = PhasedKey<KeyAlgorithm>;

export interface PhasePolicy<A extends KeyAlgorithm = JwsAlgorithm> {
  /** Only versions of the configured algorithm can become active (JWT_ALG, or RSA-OAEP-256 for the encryption key). */
  alg: A;
  /** Max token lifetime + clock skew + JWKS cache lifetime, in seconds. */
  retentionSeconds: number;
}

export function activationTime(version: KeyVersion<KeyAlgorithm>): number {
  return version.notBefore ?? version.created;
}

function canSignAt(version: KeyVersion<KeyAlgorithm>, now: number): boolean {
  return version.enabled && activationTime(version) <= now && (version.expires === undefined || version.expires > now);
}

/** 1 for a version made by an emergency rotation: it replaces whatever was active, even made in the same second. */
const emergencyRank = (version: KeyVersion<KeyAlgorithm>): number => (version.tags.origin === 'emergency' ? 1 : 0);

/**
 * Oldest first: by activation, then creation (both whole seconds), then an emergency version after the ones it
 * replaced, then kid, so ties resolve the same on every instance.
 */
export function byActivation(a: KeyVersion<KeyAlgorithm>, b: KeyVersion<KeyAlgorithm>): number {
  return activationTime(a) - activationTime(b) || a.created - b.created || emergencyRank(a) - emergencyRank(b) || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

export function computePhases<A extends KeyAlgorithm>(versions: readonly KeyVersion<A>[], now: number, policy: PhasePolicy<A>): PhasedKey<A>[] {
  const ordered = [...versions].sort(byActivation);
  const signers = ordered.filter((v) => v.alg === policy.alg && canSignAt(v, now));
  const active = signers[signers.length - 1];

  return ordered.map((version) => {
    const activatesAt = activationTime(version);
    // The successor is the next enabled version of the signing algorithm in activation order:
    // the moment it activates (or activated), this one stops signing.
    const successor = ordered.find(
      (other) => other !== version && other.enabled && other.alg === policy.alg && byActivation(version, other) < 0,
    );
    const retiresAt = successor ? activationTime(successor) : undefined;
    const disablesAt = retiresAt === undefined ? undefined : retiresAt + policy.retentionSeconds;
    let phase: KeyPhase;
    if (!version.enabled) phase = 'disabled';
    else if (version === active) phase = 'active';
    else if (activatesAt > now) phase = 'announced';
    else phase = 'retired';
    return { version, phase, activatesAt, retiresAt, disablesAt };
  });
}
