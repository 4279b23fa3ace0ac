import type { KeyUse } from './key-store';
import { byActivation, type AnyPhasedKey, type KeyPhase } from './phases';

/** What a key version is used for: JWS signing, or JWE key wrapping (the encryption key). */
export type { KeyUse } from './key-store';

/** One coloured stretch of a lane, in Unix seconds; `to` undefined means "until the chart ends". */
export interface TimelineSpan {
  phase: KeyPhase;
  from: number;
  to?: number;
}

export interface TimelineLane {
  use: KeyUse;
  key: AnyPhasedKey;
  spans: TimelineSpan[];
  /** Set for versions made by an emergency rotation (`tags.origin === 'emergency'`). */
  emergency?: { at: number; replaced: string[] };
}

export const isEmergency = (key: AnyPhasedKey): boolean => key.version.tags.origin === 'emergency';

/** What happened to a version, as far as its record and its neighbours tell. */
interface History {
  /** False for a version disabled before it ever signed. */
  signed: boolean;
  /** When the next version that signed took over (past or planned). */
  retiresAt?: number;
  disabledAt?: number;
  /** The emergency version that replaced it. */
  replacedBy?: AnyPhasedKey;
}

/**
 * The ring's history in activation order. `computePhases` skips disabled versions when it picks a
 * successor (right for deciding who signs now, not for drawing the past), so here a version retires
 * when the next version *that signed* activated, disabled or not. Only one algorithm signs at a time
 * (JWT_ALG), so the order runs across algorithms: a switch retires the last key of the old one.
 *
 * When a version was disabled is not in its record; it is inferred from how this service disables:
 * - the next version is an emergency version: `emergencyRotate` disabled it in the run that created
 *   that version with nbf = now, so at that version's activation;
 * - the previous version is still enabled: it was disabled before it ever signed — a surplus
 *   announced version (disabled by the run that created it, rotation/plan.ts) or one disabled by
 *   hand before activation; drawn disabled from its creation, the earliest it can have been;
 * - otherwise the timer disabled it when its retention ended: retirement + retention (the
 *   retention is the one every version shares, `disablesAt − retiresAt`), at most one timer period
 *   early. A version disabled by hand while active is indistinguishable from this case.
 * An enabled version is disabled by the timer at its computed `disablesAt`, not before `now`.
 */
function ringHistory(ring: readonly AnyPhasedKey[], now: number): Map<AnyPhasedKey, History> {
  const ordered = [...ring].sort((a, b) => byActivation(a.version, b.version));
  const withRetention = ring.find((p) => p.retiresAt !== undefined && p.disablesAt !== undefined);
  const retention = withRetention ? (withRetention.disablesAt ?? 0) - (withRetention.retiresAt ?? 0) : undefined;
  const history = new Map<AnyPhasedKey, History>();
  ordered.forEach((key, index) => {
    const next = ordered[index + 1];
    const previous = ordered[index - 1];
    if (key.version.enabled) history.set(key, { signed: true });
    else if (next && isEmergency(next)) history.set(key, { signed: true, disabledAt: next.activatesAt, replacedBy: next });
    else if (previous?.version.enabled) history.set(key, { signed: false, disabledAt: key.version.created });
    else history.set(key, { signed: true });
  });
  ordered.forEach((key, index) => {
    const entry = history.get(key);
    if (!entry?.signed) return;
    entry.retiresAt = ordered.slice(index + 1).find((later) => history.get(later)?.signed)?.activatesAt;
    if (key.version.enabled) entry.disabledAt = key.disablesAt === undefined ? undefined : Math.max(key.disablesAt, now);
    else if (entry.disabledAt === undefined) {
      const byRetention = entry.retiresAt !== undefined && retention !== undefined ? entry.retiresAt + retention : undefined;
      entry.disabledAt = byRetention ?? key.disablesAt ?? key.version.created;
    }
  });
  return history;
}

/**
 * The phases a version went (and, after `now`, will go) through: announced from creation to nbf,
 * active until the next signing version activates, retired until disabled, then disabled.
 */
function spansOf(key: AnyPhasedKey, entry: History): TimelineSpan[] {
  const { created } = key.version;
  if (!entry.signed) return [{ phase: 'disabled', from: created }];
  const end = entry.disabledAt;
  const planned: TimelineSpan[] = [{ phase: 'announced', from: created, to: key.activatesAt }, { phase: 'active', from: key.activatesAt, to: entry.retiresAt ?? end }];
  if (entry.retiresAt !== undefined) planned.push({ phase: 'retired', from: entry.retiresAt, to: end });
  const spans = planned
    .filter((span) => end === undefined || span.from < end)
    .map((span) => (end !== undefined && span.to !== undefined ? { ...span, to: Math.min(span.to, end) } : span))
    .filter((span) => span.to === undefined || span.to > span.from);
  return end === undefined ? spans : [...spans, { phase: 'disabled', from: Math.max(end, created) }];
}

/**
 * Lanes newest first, as `GET /api/keys` lists them. An emergency version is marked with the
 * versions it replaced (disabled at its activation).
 */
export function timelineLanes(ring: readonly AnyPhasedKey[], use: KeyUse, now: number): TimelineLane[] {
  const history = ringHistory(ring, now);
  return [...ring].reverse().map((key) => {
    const lane: TimelineLane = { use, key, spans: spansOf(key, history.get(key) ?? { signed: true }) };
    if (isEmergency(key)) {
      const replaced = ring.filter((other) => history.get(other)?.replacedBy === key).map((other) => other.version.kid);
      lane.emergency = { at: key.activatesAt, replaced };
    }
    return lane;
  });
}

/**
 * When the timer will next create a key: `activatesAt + interval − propagation` (as rotation/plan.ts
 * and rotation/health.ts compute it) of the key that will then be active — the announced successor
 * when there is one (the active key's own rotation already happened: it announced that successor),
 * else the active key. Undefined when no key is active or announced.
 */
/** The rotation timer's policy for one key (config.rotation.policy): its algorithm and periods in seconds. */
export interface RotationPeriods {
  alg: string;
  intervalSeconds: number;
  propagationSeconds: number;
}

export function nextRotationAt(ring: readonly AnyPhasedKey[], policy: RotationPeriods): number | undefined {
  const candidates = ring.filter((p) => p.version.alg === policy.alg && (p.phase === 'announced' || p.phase === 'active'));
  const newest = candidates.sort((a, b) => byActivation(a.version, b.version)).at(-1);
  return newest === undefined ? undefined : newest.activatesAt + policy.intervalSeconds - policy.propagationSeconds;
}
