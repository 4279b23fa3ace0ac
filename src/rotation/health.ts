import { nowSeconds } from '../clock';
import type { HealthCheck } from '../app/health';
import type { Services } from '../app/services';

/**
 * Rotation health: warns before anything breaks — the active key is overdue, no successor was
 * announced in time, the last rotation failed (e.g. a missing Key Vault role), or a key expires soon.
 */
export function rotationCheck(services: Services): HealthCheck {
  const { policy, status } = services.rotation;
  const now = nowSeconds(services.clock);
  const phased = services.ring.phases();
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
  const nextRotation = active ? new Date((active.activatesAt + policy.intervalSeconds - policy.propagationSeconds) * 1000).toISOString() : undefined;
  return {
    status: warnings.length > 0 ? 'warning' : 'ok',
    detail: warnings.length > 0 ? warnings.join('; ') : undefined,
    activeKid: active?.version.kid,
    announcedKid: announced?.version.kid,
    nextRotation: announced ? undefined : nextRotation,
    lastRun: status.lastRunMs === undefined ? undefined : new Date(status.lastRunMs).toISOString(),
  };
}
