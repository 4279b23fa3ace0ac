import { computePhases } from '../../src/keys/phases';
import type { KeyVersion } from '../../src/keys/key-store';

function version(kid: string, created: number, notBefore?: number, extra: Partial<KeyVersion> = {}): KeyVersion {
  return { kid, alg: 'RS256', created, notBefore, enabled: true, tags: {}, ...extra };
}

const policy = { alg: 'RS256' as const, retentionSeconds: 100 };

describe('computePhases', () => {
  it('walks one version through announced → active', () => {
    const v = [version('a', 0, 50)];
    expect(computePhases(v, 49, policy)[0].phase).toBe('announced');
    expect(computePhases(v, 50, policy)[0].phase).toBe('active');
  });

  it('makes the newest activated version active and the older one retired until retention', () => {
    const versions = [version('old', 0, 0), version('new', 500, 1000)];
    const before = computePhases(versions, 999, policy);
    expect(before.map((p) => p.phase)).toEqual(['active', 'announced']);
    expect(before[0]).toMatchObject({ retiresAt: 1000, disablesAt: 1100 });
    const after = computePhases(versions, 1000, policy);
    expect(after.map((p) => p.phase)).toEqual(['retired', 'active']);
  });

  it('orders by activation, not by listing order or creation', () => {
    const versions = [version('b', 10, 2000), version('a', 20, 1000)];
    const phased = computePhases(versions, 1500, policy);
    expect(phased.map((p) => [p.version.kid, p.phase])).toEqual([
      ['a', 'active'],
      ['b', 'announced'],
    ]);
  });

  it('puts an emergency version after a version made in the same second, whatever their kids', () => {
    // The first key made at start and an emergency rotation in the same second: the emergency one replaces it.
    const first = version('zz-first', 100, 100);
    const emergency = version('aa-emergency', 100, 100, { tags: { origin: 'emergency' } });
    expect(computePhases([first, emergency], 100, policy).map((p) => [p.version.kid, p.phase])).toEqual([
      ['zz-first', 'retired'],
      ['aa-emergency', 'active'],
    ]);
    expect(computePhases([emergency, { ...first, enabled: false }], 100, policy).map((p) => p.version.kid)).toEqual(['zz-first', 'aa-emergency']);
  });

  it('never activates a disabled, expired or other-algorithm version', () => {
    const versions = [
      version('good', 0, 0),
      version('disabled', 10, 10, { enabled: false }),
      version('expired', 20, 20, { expires: 30 }),
      version('es', 40, 40, { alg: 'ES256' }),
    ];
    const phased = computePhases(versions, 100, policy);
    expect(Object.fromEntries(phased.map((p) => [p.version.kid, p.phase]))).toEqual({
      good: 'active',
      disabled: 'disabled',
      expired: 'retired',
      es: 'retired',
    });
  });

  it('breaks ties the same way on every instance', () => {
    const versions = [version('y', 5, 100), version('x', 5, 100)];
    expect(computePhases(versions, 200, policy).find((p) => p.phase === 'active')?.version.kid).toBe('y');
    expect(computePhases([...versions].reverse(), 200, policy).find((p) => p.phase === 'active')?.version.kid).toBe('y');
  });
});
