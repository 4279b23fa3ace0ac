/**
 * What the timeline draws, as data (timeline-data.ts): each version's spans from the dates its
 * record and its neighbours justify, emergency versions with what they replaced, and when the
 * rotation timer next creates a key.
 */
import type { KeyVersion } from '../../src/keys/key-store';
import { computePhases } from '../../src/keys/phases';
import { isEmergency, nextRotationAt, timelineLanes } from '../../src/keys/timeline-data';
import { constructedRing, HOUR, NOW, RETENTION, VERSIONS } from './timeline-fixture';

const at = (hours: number): number => NOW + Math.round(hours * HOUR);
const short = (kid: string): string => kid.split('-')[0];

describe('timelineLanes', () => {
  it('lists lanes newest first, each with the use it is drawn for', () => {
    const lanes = timelineLanes(constructedRing(), 'sig', NOW);
    expect(lanes.map((lane) => short(lane.key.version.kid))).toEqual(['next', 'surplus', 'current', 'emerg', 'second', 'first']);
    expect(new Set(lanes.map((lane) => lane.use))).toEqual(new Set(['sig']));
    expect(timelineLanes(constructedRing(), 'enc', NOW)[0].use).toBe('enc');
  });

  it('draws each version through the phases its record and its neighbours justify', () => {
    const spans = Object.fromEntries(timelineLanes(constructedRing(), 'sig', NOW).map((lane) => [short(lane.key.version.kid), lane.spans.map((s) => [s.phase, s.from, s.to])]));
    expect(spans).toEqual({
      next: [['announced', at(-0.5), at(1.5)], ['active', at(1.5), undefined]],
      surplus: [['disabled', at(-3), undefined]],
      current: [['announced', at(-3), at(-1)], ['active', at(-1), at(1.5)], ['retired', at(1.5), at(1.5) + RETENTION], ['disabled', at(1.5) + RETENTION, undefined]],
      emerg: [['active', at(-20), at(-1)], ['retired', at(-1), at(-1) + RETENTION], ['disabled', at(-1) + RETENTION, undefined]],
      second: [['announced', at(-72), at(-70)], ['active', at(-70), at(-20)], ['disabled', at(-20), undefined]],
      first: [['active', at(-100), at(-70)], ['retired', at(-70), at(-70) + RETENTION], ['disabled', at(-70) + RETENTION, undefined]],
    });
  });

  it('marks the version an emergency rotation replaced in the same second it was made (kids in either order)', () => {
    const made = (kid: string, extra: Partial<KeyVersion> = {}): KeyVersion => ({ kid, alg: 'RS256', created: NOW, notBefore: NOW, enabled: true, tags: {}, ...extra });
    for (const [first, emergency] of [['zz-first', 'aa-emergency'], ['aa-first', 'zz-emergency']]) {
      const ring = computePhases([made(first, { enabled: false }), made(emergency, { tags: { origin: 'emergency' } })], NOW, { alg: 'RS256', retentionSeconds: RETENTION });
      const marked = timelineLanes(ring, 'sig', NOW).find((lane) => lane.emergency !== undefined);
      expect(marked?.emergency).toEqual({ at: NOW, replaced: [first] });
    }
  });

  it('marks an emergency version with the versions it disabled at its activation', () => {
    const lanes = timelineLanes(constructedRing(), 'sig', NOW);
    const marked = lanes.filter((lane) => lane.emergency !== undefined);
    expect(marked.map((lane) => [short(lane.key.version.kid), lane.emergency])).toEqual([['emerg', { at: at(-20), replaced: [VERSIONS[1].kid] }]]);
    expect(constructedRing().filter(isEmergency).map((p) => short(p.version.kid))).toEqual(['emerg']);
  });

  it('never draws an enabled version disabled before now, even when its computed disable time has passed', () => {
    // `old` retired 10 h ago with a 2 h retention, and the timer has not disabled it yet.
    const versions: KeyVersion[] = [
      { kid: 'old', alg: 'RS256', created: at(-20), notBefore: at(-20), enabled: true, tags: {} },
      { kid: 'new', alg: 'RS256', created: at(-11), notBefore: at(-10), enabled: true, tags: {} },
    ];
    const [, old] = timelineLanes(computePhases(versions, NOW, { alg: 'RS256', retentionSeconds: RETENTION }), 'sig', NOW);
    expect(old.spans.map((s) => [s.phase, s.from, s.to])).toEqual([['active', at(-20), at(-10)], ['retired', at(-10), NOW], ['disabled', NOW, undefined]]);
  });

  it('retires a version when the next version that signed activated, not at a surplus version disabled before it signed', () => {
    const versions: KeyVersion[] = [
      { kid: 'a', alg: 'RS256', created: at(-50), notBefore: at(-50), enabled: true, tags: {} },
      { kid: 's', alg: 'RS256', created: at(-45), notBefore: at(-44), enabled: false, tags: {} },
      { kid: 'b', alg: 'RS256', created: at(-41), notBefore: at(-40), enabled: true, tags: {} },
    ];
    const lanes = Object.fromEntries(timelineLanes(computePhases(versions, NOW, { alg: 'RS256', retentionSeconds: RETENTION }), 'sig', NOW).map((lane) => [lane.key.version.kid, lane.spans.map((span) => [span.phase, span.from, span.to])]));
    expect(lanes.s).toEqual([['disabled', at(-45), undefined]]);
    expect(lanes.a).toEqual([['active', at(-50), at(-40)], ['retired', at(-40), NOW], ['disabled', NOW, undefined]]);
  });
});

describe('nextRotationAt', () => {
  const policy = { alg: 'RS256' as const, intervalSeconds: 90 * 24 * HOUR, propagationSeconds: 2 * 24 * HOUR };

  it('is the announced successor’s rotation when one is announced (the active key’s has happened)', () => {
    expect(nextRotationAt(constructedRing(), policy)).toBe(at(1.5) + policy.intervalSeconds - policy.propagationSeconds);
  });

  it('is the active key’s activation + interval − propagation otherwise, as rotation health computes it', () => {
    const ring = constructedRing(VERSIONS.filter((v) => !v.kid.startsWith('next')));
    expect(nextRotationAt(ring, policy)).toBe(at(-1) + policy.intervalSeconds - policy.propagationSeconds);
  });

  it('is undefined when no key is active or announced', () => {
    expect(nextRotationAt(constructedRing(VERSIONS.filter((v) => !v.enabled)), policy)).toBeUndefined();
  });
});
