import { computePhases } from '../../src/keys/phases';
import type { KeyVersion } from '../../src/keys/key-store';
import { planRotation, surplusAnnounced } from '../../src/rotation/plan';

const DAY = 86_400;
const policy = { alg: 'RS256' as const, intervalSeconds: 90 * DAY, propagationSeconds: 2 * DAY };
const phasePolicy = { alg: 'RS256' as const, retentionSeconds: 7200 };

function version(kid: string, notBefore: number, extra: Partial<KeyVersion> = {}): KeyVersion {
  return { kid, alg: 'RS256', created: notBefore, notBefore, enabled: true, tags: {}, ...extra };
}

function plan(versions: KeyVersion[], now: number) {
  return planRotation(computePhases(versions, now, phasePolicy), now, policy);
}

describe('planRotation', () => {
  it('creates a key that signs at once when nothing can sign', () => {
    expect(plan([], 1000)).toMatchObject({ createNotBefore: 1000, disable: [] });
    expect(plan([version('off', 0, { enabled: false })], 1000).createNotBefore).toBe(1000);
  });

  it('announces the successor propagation before the interval ends, not earlier', () => {
    const v = [version('a', 0)];
    expect(plan(v, 88 * DAY - 1).createNotBefore).toBeUndefined();
    expect(plan(v, 88 * DAY).createNotBefore).toBe(90 * DAY);
  });

  it('never announces a second successor', () => {
    expect(plan([version('a', 0), version('b', 90 * DAY)], 89 * DAY).createNotBefore).toBeUndefined();
  });

  it('disables a retired key only after its retention', () => {
    const v = [version('a', 0), version('b', 90 * DAY)];
    expect(plan(v, 90 * DAY + 7199).disable).toEqual([]);
    expect(plan(v, 90 * DAY + 7200).disable).toEqual(['a']);
  });

  it('never disables the active or an announced key', () => {
    const v = [version('a', 0), version('b', 90 * DAY)];
    for (const now of [DAY, 89 * DAY, 91 * DAY, 400 * DAY]) {
      const p = plan(v, now);
      const phases = computePhases(v, now, phasePolicy);
      for (const kid of p.disable) expect(phases.find((x) => x.version.kid === kid)?.phase).toBe('retired');
    }
  });

  it('picks the same surplus announced version on every instance', () => {
    const v = [version('a', 0), version('y', 90 * DAY), version('x', 90 * DAY)];
    expect(surplusAnnounced(computePhases(v, DAY, phasePolicy), 'RS256')).toEqual(['y']);
    expect(surplusAnnounced(computePhases([...v].reverse(), DAY, phasePolicy), 'RS256')).toEqual(['y']);
  });
});
