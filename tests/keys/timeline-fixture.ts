import type { KeyVersion } from '../../src/keys/key-store';
import { computePhases, type PhasedKey } from '../../src/keys/phases';

export const HOUR = 3600;
export const NOW = 1_800_000_000;
export const RETENTION = 2 * HOUR;

function version(kid: string, created: number, notBefore: number, enabled: boolean, origin: string): KeyVersion {
  return { kid, alg: 'RS256', created: NOW + created * HOUR, notBefore: NOW + notBefore * HOUR, enabled, tags: { origin, alg: 'RS256' } };
}

/**
 * A ring with every case the timeline draws (hours relative to NOW):
 * - first:   created −100 h, active until `second` activates (−70 h), disabled by retention (−68 h);
 * - second:  announced −72 h, active −70 h, disabled by the emergency rotation at −20 h;
 * - emerg:   the emergency key (origin emergency), active −20 h until `current` activates (−1 h), retired;
 * - surplus: announced beside `current` and disabled at once (never signed);
 * - current: announced −3 h, active since −1 h, retires when `next` activates (+1.5 h);
 * - next:    announced −0.5 h, activates +1.5 h.
 */
export const VERSIONS: readonly KeyVersion[] = [
  version('first-0000000000000000000000000001', -100, -100, false, 'bootstrap'),
  version('second-000000000000000000000000002', -72, -70, false, 'rotation'),
  version('emerg-0000000000000000000000000003', -20, -20, true, 'emergency'),
  version('current-0000000000000000000000004', -3, -1, true, 'rotation'),
  version('surplus-0000000000000000000000005', -3, -0.99, false, 'rotation'),
  version('next-000000000000000000000000000006', -0.5, 1.5, true, 'rotation'),
];

export function constructedRing(versions: readonly KeyVersion[] = VERSIONS): PhasedKey[] {
  return computePhases(versions, NOW, { alg: 'RS256', retentionSeconds: RETENTION });
}
