import type { KeyAlgorithm } from '../algorithms';
import type { HealthCheck } from '../health-check';
import type { PhasedKey } from '../keys/phases';
import type { RotationPolicy } from './plan';
import type { RotationStatus } from './status';

export interface RotationHealthInput {
  phased: readonly PhasedKey<KeyAlgorithm>[];
  policy: RotationPolicy;
  status: RotationStatus;
  /** Unix seconds. */
  now: number;
}

/**
 * Rotation health: warns before anything breaks — the active key is overdue, no successor was
 * announced in time, the last rotation failed (e.g. a missing Key Vault role), or a key expires soon.
 */
export function rotationCheck({ phased, policy, status, now }: RotationHealthInput): HealthCheck {
  const active = phased.find((p) => p.phase === 'active');
  const announced = phased.find((p) => p.phase === 'announced');
  const grace = Math.max(policy.propagationSeconds, 60);
  const warnings: string[] = [];
  if (status.lastFailure) warnings.push(`the last rotation failed (${status.lastFailure.code}): ${status.lastFailure.message}`);
  if (active) {
    const age = now - active.activatesAt;
    if (age > policy.intervalSeconds + grace) warnings.push(`the active key is ${age} s old, past the rotation interval`);
    const announceBy = active.activatesAt + policy.intervalSeconds - policy.propagationSeconds + grace;
    if (!announced && now > announceBy) warnings.push('no successor was announced in time');
    if (active.version.expires !== undefined && active.version.expires - now < policy.propagationSeconds) {
      warnings.push('the active key expires before a successor could be announced');
    }
  }
  const next = nextRotation(phased, policy);
  return {
    status: warnings.length > 0 ? 'warning' : 'ok',
    detail: warnings.length > 0 ? warnings.join('; ') : undefined,
    activeKid: active?.version.kid,
    announcedKid: announced?.version.kid,
    nextRotation: next === undefined ? undefined : new Date(next * 1000).toISOString(),
    lastRun: status.lastRunMs === undefined ? undefined : new Date(status.lastRunMs).toISOString(),
  };
}

/** When the timer announces the active key's successor (Unix seconds); undefined when one is announced already. */
export function nextRotation(phased: readonly PhasedKey<KeyAlgorithm>[], policy: RotationPolicy): number | undefined {
  if (phased.some((p) => p.phase === 'announced')) return undefined;
  const active = phased.find((p) => p.phase === 'active');
  return active ? active.activatesAt + policy.intervalSeconds - policy.propagationSeconds : undefined;
}
