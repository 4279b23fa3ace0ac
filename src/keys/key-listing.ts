import type { KeyAlgorithm } from '../algorithms';
import type { PhasedKey } from './phases';

function iso(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
}

/** A key ring (signing or encryption) as admins read it: one entry per version, newest first, dates in ISO 8601. */
export function describeKeyRing(phased: readonly PhasedKey<KeyAlgorithm>[]): Array<Record<string, unknown>> {
  return [...phased].reverse().map((p) => ({
    kid: p.version.kid,
    alg: p.version.alg,
    phase: p.phase,
    enabled: p.version.enabled,
    created: iso(p.version.created),
    activates: iso(p.activatesAt),
    retires: iso(p.retiresAt),
    disables: iso(p.disablesAt),
    expires: iso(p.version.expires),
    tags: p.version.tags,
  }));
}
