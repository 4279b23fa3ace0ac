import { ManualClock } from '../../src/clock';
import { KeyRing } from '../../src/keys/key-ring';
import { KeyStoreError } from '../../src/keys/key-store';
import { makeTestKey, StaticKeyStore } from '../support/token-factory';

const T0 = 1_800_000_000;

function setup() {
  const clock = new ManualClock(T0 * 1000);
  const old = makeTestKey('ES256', 'old', { created: T0 - 1000, notBefore: T0 - 1000 });
  const current = makeTestKey('ES256', 'current', { created: T0 - 100, notBefore: T0 - 10 });
  const next = makeTestKey('ES256', 'next', { created: T0, notBefore: T0 + 100 });
  const store = new StaticKeyStore([old.version, current.version, next.version]);
  const ring = new KeyRing(store, clock, { alg: 'ES256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
  return { clock, store, ring };
}

describe('KeyRing', () => {
  it('loads once on first use and shares concurrent refreshes', async () => {
    const { store, ring } = setup();
    await Promise.all([ring.ready(), ring.ready(), ring.refresh(), ring.refresh()]);
    expect(store.listCalls).toBe(1);
    expect(ring.health()).toMatchObject({ loaded: true, refreshes: 1 });
  });

  it('signs with the active key, falling back to the one it replaced', async () => {
    const { ring, clock } = setup();
    await ring.ready();
    expect(ring.signingCandidates().map((k) => k.version.kid)).toEqual(['current', 'old']);
    clock.advance(100_000); // "next" activates
    expect(ring.signingCandidates().map((k) => k.version.kid)).toEqual(['next', 'current']);
  });

  it('refreshes in the background when the cache is old, without blocking', async () => {
    const { ring, store, clock } = setup();
    await ring.ready();
    clock.advance(10_000);
    await ring.ready();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.listCalls).toBe(2);
  });

  it('keeps serving cached keys when a refresh fails, and reports it', async () => {
    const { ring, store } = setup();
    await ring.ready();
    store.listVersions = () => Promise.reject(new KeyStoreError('unavailable', 'down'));
    await expect(ring.refresh()).rejects.toThrow('down');
    expect(ring.get('current')).toBeDefined();
    expect(ring.health().lastError).toBe('KeyStoreError:unavailable');
  });

  it('refreshes for an unknown kid at most once per cool-down', async () => {
    const { ring, store, clock } = setup();
    await ring.ready();
    for (let i = 0; i < 20; i += 1) expect(await ring.resolve(`unknown-${i}`)).toBeUndefined();
    expect(store.listCalls).toBe(2);
    clock.advance(5_000);
    const late = makeTestKey('ES256', 'late', { created: T0 });
    store.versions.push(late.version);
    expect((await ring.resolve('late'))?.version.kid).toBe('late');
    expect(store.listCalls).toBe(3);
  });

  it('sees a version disabled elsewhere after its next refresh, keeping the built key object', async () => {
    const { ring, store } = setup();
    await ring.ready();
    const before = ring.get('old');
    await store.disableVersion('old');
    await ring.refresh();
    expect(ring.get('old')?.version.enabled).toBe(false);
    expect(ring.get('old')?.key).toBe(before?.key);
  });

  it('counts a generation per kid: 0 when first listed, one more whenever a listing finds `enabled` changed', async () => {
    const { ring, store } = setup();
    await ring.ready();
    expect(ring.get('old')?.generation).toBe(0);
    await ring.refresh(); // nothing changed: the same generation (windows and listings alone do not count)
    expect(ring.get('old')?.generation).toBe(0);
    await store.disableVersion('old');
    await ring.refresh();
    expect([ring.get('old')?.generation, ring.get('current')?.generation]).toEqual([1, 0]);
    store.versions = store.versions.map((v) => (v.kid === 'old' ? { ...v, enabled: true } : v));
    await ring.refresh();
    expect(ring.get('old')?.generation).toBe(2);
  });

  it('carries the generation into an HMAC key built again when its secret is re-enabled', async () => {
    const clock = new ManualClock(T0 * 1000);
    const hmac = makeTestKey('HS256', 'hmac', { created: T0 - 100 });
    const store = new StaticKeyStore([{ ...hmac.version, enabled: false }], new Map([['hmac', hmac.privateKey as Buffer]]));
    const ring = new KeyRing(store, clock, { alg: 'HS256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
    await ring.ready();
    const standIn = ring.get('hmac');
    expect(standIn?.generation).toBe(0);
    store.versions = [hmac.version];
    await ring.refresh();
    expect(ring.get('hmac')?.key).not.toBe(standIn?.key); // the real secret now, read from the store
    expect(ring.get('hmac')?.generation).toBe(1);
  });
});
