import { computePhases } from '../../src/keys/phases';
import { createPhaseChangeTracker, ringReading } from '../../src/telemetry/ring-reading';
import { constructedRing, HOUR, NOW, RETENTION, VERSIONS } from '../keys/timeline-fixture';

describe('ringReading', () => {
  it('counts versions per phase and reads the active key’s age and the ring’s freshness', () => {
    expect(ringReading(constructedRing(), NOW, { ageMs: 12_400 })).toEqual({
      keysByPhase: { announced: 1, active: 1, retired: 1, disabled: 3 },
      activeKeyAgeSeconds: HOUR,
      successorAnnounced: true,
      refreshAgeSeconds: 12,
    });
  });

  it('leaves the active key’s age out when no key is active', () => {
    const reading = ringReading(constructedRing(VERSIONS.filter((v) => !v.enabled)), NOW, {});
    expect(reading).toEqual({ keysByPhase: { announced: 0, active: 0, retired: 0, disabled: 3 }, activeKeyAgeSeconds: undefined, successorAnnounced: false, refreshAgeSeconds: undefined });
  });
});

describe('createPhaseChangeTracker', () => {
  it('reports phase changes between views, none for the first view', () => {
    const changes: Array<[string, string]> = [];
    const keys = new Set<string>();
    const recorder = {
      keyPhaseChanged: ({ key, from, to }: { key: string; from: string; to: string }): void => {
        keys.add(key);
        changes.push([from, to]);
      },
    };
    const tracker = createPhaseChangeTracker(recorder, 'enc');
    const policy = { alg: 'RS256' as const, retentionSeconds: RETENTION };
    tracker.observe(computePhases(VERSIONS, NOW, policy));
    expect(changes).toEqual([]);
    // Two hours later `next` has activated (current retires) and a new version was announced.
    const later = [...VERSIONS, { ...VERSIONS[5], kid: 'newer', created: NOW + 2 * HOUR, notBefore: NOW + 5 * HOUR }];
    tracker.observe(computePhases(later, NOW + 2 * HOUR, policy));
    expect(changes.sort()).toEqual([
      ['active', 'retired'],
      ['announced', 'active'],
      ['none', 'announced'],
    ]);
    tracker.observe(computePhases(later, NOW + 2 * HOUR, policy));
    expect(changes).toHaveLength(3);
    expect([...keys]).toEqual(['enc']); // counted under the key the tracker was made for
  });
});
