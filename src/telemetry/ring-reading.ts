import type { KeyAlgorithm } from '../algorithms';
import type { KeyRingHealth } from '../keys/key-ring';
import type { KeyUse } from '../keys/key-store';
import type { KeyPhase, PhasedKey } from '../keys/phases';
import type { Metrics, RingReading } from './metrics';

/** The ring gauges' values from the computed phases and the ring's health (for `observeRing`). */
export function ringReading(phased: readonly PhasedKey[], now: number, health: Pick<KeyRingHealth, 'ageMs'>): RingReading {
  const keysByPhase: Record<KeyPhase, number> = { announced: 0, active: 0, retired: 0, disabled: 0 };
  for (const key of phased) keysByPhase[key.phase] += 1;
  const active = phased.find((key) => key.phase === 'active');
  return {
    keysByPhase,
    activeKeyAgeSeconds: active === undefined ? undefined : Math.max(0, now - active.activatesAt),
    successorAnnounced: keysByPhase.announced > 0,
    refreshAgeSeconds: health.ageMs === undefined ? undefined : Math.round(health.ageMs / 1000),
  };
}

/**
 * Turns successive views of the ring into phase-change events. Phases are computed, never stored,
 * so a change is seen by comparing views: the first view is the baseline (a restart is not a
 * change), a version seen for the first time comes from `none`. Every instance counts what it sees:
 * with several instances each change is counted once per instance. One tracker per key (the
 * signing key's ring, the encryption key's ring), each counted under its `key`.
 */
export function createPhaseChangeTracker(metrics: Pick<Metrics, 'keyPhaseChanged'>, key: KeyUse): { observe(phased: readonly PhasedKey<KeyAlgorithm>[]): void } {
  let known: Map<string, KeyPhase> | undefined;
  return {
    observe(phased) {
      const current = new Map(phased.map((key) => [key.version.kid, key.phase] as const));
      if (known) {
        for (const [kid, phase] of current) {
          const before = known.get(kid) ?? 'none';
          if (before !== phase) metrics.keyPhaseChanged({ key, from: before, to: phase });
        }
      }
      known = current;
    },
  };
}
