/** The key ring as admins read it (key-listing.ts): newest first, dates in ISO 8601, nothing else changed. */
import { describeKeyRing } from '../../src/keys/key-listing';
import { constructedRing, HOUR, NOW, VERSIONS } from './timeline-fixture';

describe('describeKeyRing', () => {
  it('lists one entry per version, newest first, without reordering the ring it is given', () => {
    const ring = constructedRing();
    const order = ring.map((p) => p.version.kid);
    expect(describeKeyRing(ring).map((entry) => entry.kid)).toEqual([...order].reverse());
    expect(ring.map((p) => p.version.kid)).toEqual(order);
  });

  it('gives every date in ISO 8601 (UTC) and leaves unknown dates out', () => {
    const current = describeKeyRing(constructedRing()).find((entry) => entry.kid === VERSIONS[3].kid);
    expect(current).toEqual({
      kid: VERSIONS[3].kid,
      alg: 'RS256',
      phase: 'active',
      enabled: true,
      created: new Date((NOW - 3 * HOUR) * 1000).toISOString(),
      activates: new Date((NOW - HOUR) * 1000).toISOString(),
      retires: new Date((NOW + 1.5 * HOUR) * 1000).toISOString(),
      disables: new Date((NOW + 3.5 * HOUR) * 1000).toISOString(),
      expires: undefined,
      tags: { origin: 'rotation', alg: 'RS256' },
    });
    expect(current?.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    const newest = describeKeyRing(constructedRing())[0];
    expect([newest.retires, newest.disables]).toEqual([undefined, undefined]);
  });

  it('lists an empty ring as an empty list', () => {
    expect(describeKeyRing([])).toEqual([]);
  });
});
