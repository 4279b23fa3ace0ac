import { audit, type Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import { ServiceError } from '../errors';
import type { KeyAlgorithm } from '../algorithms';
import type { KeyUse, VersionStore } from '../keys/key-store';
import type { PhasedKey } from '../keys/phases';
import { keyStoreFailureToServiceError } from '../keys/store-errors';
import type { RotationLock } from './lock';
import { planRotation, surplusAnnounced, type RotationPolicy } from './plan';
import type { RotationStatus } from './status';
import type { Metrics } from '../telemetry/metrics';

/** What rotation needs of a key ring: a fresh listing and the phases computed from it. */
export interface RotatingRing {
  refresh(): Promise<void>;
  phases(): readonly PhasedKey<KeyAlgorithm>[];
}

/**
 * One key's rotation: the signing key's or the encryption key's — the same timer, plan, lock and
 * health, each key with its own store, ring, status and algorithm.
 */
export interface RotationDependencies {
  store: Pick<VersionStore<KeyAlgorithm>, 'createVersion' | 'disableVersion'>;
  ring: RotatingRing;
  clock: Clock;
  logger: Logger;
  lock: RotationLock;
  status: RotationStatus;
  policy: RotationPolicy;
  /** Which key this is: its runs are counted under it (`kvjwt.key.use`). */
  use: KeyUse;
  metrics?: Pick<Metrics, 'rotationRan'>;
}

export interface RotationReport {
  /** False when another run held the lock; nothing was done. */
  ran: boolean;
  created?: string;
  disabled: string[];
  reason: string;
}

/**
 * One timer tick: plan from fresh phases, act, and converge. Safe to run twice and on many
 * instances: the lock serialises runs that share a process or a key folder; for Key Vault (no
 * conditional create) a run that finds two announced versions disables the surplus one, which
 * never signed. Versions are disabled, never deleted.
 */
export async function rotateKeys(deps: RotationDependencies, trigger: 'timer' | 'admin'): Promise<RotationReport> {
  const report = await deps.lock.withLock(async () => {
    try {
      const result = await runOnce(deps);
      deps.status.recordSuccess(deps.clock.nowMs(), result);
      deps.metrics?.rotationRan({ key: deps.use, trigger, outcome: result.created ? 'created' : 'unchanged' });
      if (result.created || result.disabled.length > 0) {
        audit(deps.logger, { operation: 'rotate', outcome: 'success', caller: trigger, kid: result.created, detail: [result.reason, ...result.disabled.map((k) => `disabled ${k}`)].join('; ') });
      }
      return result;
    } catch (error: unknown) {
      const serviceError = error instanceof ServiceError ? error : keyStoreFailureToServiceError(error);
      deps.status.recordFailure(deps.clock.nowMs(), serviceError);
      deps.metrics?.rotationRan({ key: deps.use, trigger, outcome: 'failed', code: serviceError.code });
      audit(deps.logger, { operation: 'rotate', outcome: 'failure', caller: trigger, code: serviceError.code, detail: serviceError.message });
      throw serviceError;
    }
  });
  if (!report) deps.metrics?.rotationRan({ key: deps.use, trigger, outcome: 'skipped' });
  return report ?? { ran: false, disabled: [], reason: 'another rotation is running' };
}

async function runOnce(deps: RotationDependencies): Promise<RotationReport> {
  await deps.ring.refresh();
  const now = nowSeconds(deps.clock);
  const plan = planRotation(deps.ring.phases(), now, deps.policy);
  let created: string | undefined;
  if (plan.createNotBefore !== undefined) {
    const version = await deps.store.createVersion({ notBefore: plan.createNotBefore, tags: { origin: 'rotation', alg: deps.policy.alg } });
    created = version.kid;
  }
  for (const kid of plan.disable) await deps.store.disableVersion(kid);
  await deps.ring.refresh();
  const surplus = surplusAnnounced(deps.ring.phases(), deps.policy.alg);
  for (const kid of surplus) await deps.store.disableVersion(kid);
  if (surplus.length > 0) await deps.ring.refresh();
  const disabled = [...plan.disable, ...surplus];
  return { ran: true, created: created && !surplus.includes(created) ? created : undefined, disabled, reason: plan.reason };
}

/**
 * Admin: schedule the next key now (it activates after the propagation delay), unless one is
 * already announced — then that one is the answer (idempotent).
 */
export async function scheduleNextKey(deps: RotationDependencies): Promise<{ kid: string; activates: number; created: boolean }> {
  const result = await deps.lock.withLock(async () => {
    await deps.ring.refresh();
    const existing = deps.ring.phases().find((p) => p.phase === 'announced' && p.version.alg === deps.policy.alg);
    if (existing) return { kid: existing.version.kid, activates: existing.activatesAt, created: false };
    const notBefore = nowSeconds(deps.clock) + deps.policy.propagationSeconds;
    const version = await deps.store.createVersion({ notBefore, tags: { origin: 'admin', alg: deps.policy.alg } });
    await deps.ring.refresh();
    return { kid: version.kid, activates: notBefore, created: true };
  });
  deps.metrics?.rotationRan({ key: deps.use, trigger: 'admin', outcome: !result ? 'skipped' : result.created ? 'created' : 'unchanged' });
  if (!result) throw new ServiceError('conflict', 'Another rotation is running; try again in a moment.');
  return result;
}

/**
 * Admin only, never the timer: a key that signs at once replaces the active key, which is disabled
 * immediately — every token it signed stops verifying. For a suspected key compromise.
 */
export async function emergencyRotate(deps: RotationDependencies, reason: string, caller: string): Promise<{ kid: string; disabled: string[] }> {
  const result = await deps.lock.withLock(async () => {
    await deps.ring.refresh();
    const now = nowSeconds(deps.clock);
    const previous = deps.ring.phases().filter((p) => p.phase === 'active').map((p) => p.version.kid);
    const version = await deps.store.createVersion({ notBefore: now, tags: { origin: 'emergency', alg: deps.policy.alg } });
    for (const kid of previous) await deps.store.disableVersion(kid);
    await deps.ring.refresh();
    audit(deps.logger, { operation: 'rotate', outcome: 'success', caller, kid: version.kid, detail: `emergency: ${reason}; disabled ${previous.join(',')}` });
    return { kid: version.kid, disabled: previous };
  });
  deps.metrics?.rotationRan({ key: deps.use, trigger: 'emergency', outcome: result ? 'created' : 'skipped' });
  if (!result) throw new ServiceError('conflict', 'Another rotation is running; try again in a moment.');
  return result;
}
