/**
 * The cached view of one key's versions (version-ring.ts), on a plain factory so that only the
 * ring's own rules are under test: single-flight listings, background and periodic refresh, a
 * failed refresh that keeps the cache, the unknown-kid cool-down, build once / relist / rebuild,
 * each version's active window, and what it reports.
 */
import type { JwsAlgorithm } from '../../src/algorithms';
import type { Logger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { KeyStoreError, type KeyVersion } from '../../src/keys/key-store';
import type { PhasedKey } from '../../src/keys/phases';
import { describeError, VersionRing, type ActiveWindow, type RingEntry, type RingKeyFactory } from '../../src/keys/version-ring';
import { makeTestKey, StaticKeyStore } from '../support/token-factory';

const T0 = 1_800_000_000;

interface Entry extends RingEntry {
  /** Which build made this entry (builds are counted per ring). */
  readonly build: number;
}

function countingFactory(overrides: Partial<RingKeyFactory<JwsAlgorithm, Entry>> = {}): RingKeyFactory<JwsAlgorithm, Entry> & { builds: string[] } {
  const builds: string[] = [];
  return {
    builds,
    build: (version: KeyVersion, window: ActiveWindow) => {
      builds.push(version.kid);
      return Promise.resolve({ version, ...window, build: builds.length });
    },
    ...overrides,
  };
}

function setup(factory = countingFactory(), logger?: Logger, onListed?: (phased: PhasedKey[]) => void) {
  const clock = new ManualClock(T0 * 1000);
  const old = makeTestKey('ES256', 'old', { created: T0 - 1000, notBefore: T0 - 1000 });
  const current = makeTestKey('ES256', 'current', { created: T0 - 100, notBefore: T0 - 10 });
  const next = makeTestKey('ES256', 'next', { created: T0, notBefore: T0 + 100 });
  const store = new StaticKeyStore([old.version, current.version, next.version]);
  const ring = new VersionRing<JwsAlgorithm, Entry>(store, clock, { alg: 'ES256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 }, factory, logger, onListed);
  return { clock, store, ring, factory };
}

describe('VersionRing', () => {
  it('loads once on first use and shares concurrent refreshes', async () => {
    const { store, ring } = setup();
    await Promise.all([ring.ready(), ring.ready(), ring.refresh(), ring.refresh()]);
    expect(store.listCalls).toBe(1);
    expect(ring.health()).toMatchObject({ loaded: true, refreshes: 1 });
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
  it('builds each version once; later listings bring the cached entry up to date (relist) unless the factory asks to rebuild', async () => {
    const rebuildDisabled = countingFactory({ rebuild: (cached, version) => cached.version.enabled !== version.enabled });
    const { ring, store } = setup(rebuildDisabled);
    await ring.ready();
    expect(rebuildDisabled.builds).toEqual(['old', 'current', 'next']);
    await ring.refresh();
    expect(rebuildDisabled.builds).toHaveLength(3);
    const before = ring.get('current');
    await store.disableVersion('old');
    await ring.refresh();
    expect(rebuildDisabled.builds).toEqual(['old', 'current', 'next', 'old']);
    expect(ring.get('old')?.version.enabled).toBe(false);
    expect(ring.get('current')?.build).toBe(before?.build); // relisted, not rebuilt
    const relisting = countingFactory({ relist: (cached, version, window) => ({ ...cached, version, ...window, build: -1 }) });
    const other = setup(relisting);
    await other.ring.ready();
    await other.ring.refresh();
    expect(other.ring.get('old')?.build).toBe(-1);
  });

  it('gives each version its active window: from its activation until its successor activates', async () => {
    const { ring } = setup();
    await ring.ready();
    expect([ring.get('old')?.activeFrom, ring.get('old')?.activeUntil]).toEqual([T0 - 1000, T0 - 10]);
    expect([ring.get('current')?.activeFrom, ring.get('current')?.activeUntil]).toEqual([T0 - 10, T0 + 100]);
    expect([ring.get('next')?.activeFrom, ring.get('next')?.activeUntil]).toEqual([T0 + 100, undefined]);
  });

  it('reports phases at the time of the question, not of the listing', async () => {
    const { ring, clock } = setup();
    await ring.ready();
    expect(ring.phases().find((p) => p.phase === 'active')?.version.kid).toBe('current');
    clock.advance(100_000);
    expect(ring.phases().find((p) => p.phase === 'active')?.version.kid).toBe('next');
    expect(ring.policy).toEqual({ alg: 'ES256', retentionSeconds: 60 });
  });

  it('re-lists every refreshIntervalMs on its own until stopped, whatever the traffic', async () => {
    jest.useFakeTimers();
    try {
      const { ring, store } = setup();
      await ring.ready();
      const stop = ring.refreshPeriodically();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(store.listCalls).toBe(2);
      await jest.advanceTimersByTimeAsync(20_000);
      expect(store.listCalls).toBe(4);
      stop();
      await jest.advanceTimersByTimeAsync(50_000);
      expect(store.listCalls).toBe(4);
    } finally {
      jest.useRealTimers();
    }
  });

  it('tells onListed the phases after each successful listing, and logs a failed one without its message', async () => {
    const listed: string[][] = [];
    const logged: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = { log: (level, event, fields) => logged.push([level, event, fields]) };
    const { ring, store } = setup(countingFactory(), logger, (phased) => listed.push(phased.map((p) => p.phase)));
    await ring.ready();
    expect(listed).toEqual([['retired', 'active', 'announced']]);
    store.listVersions = () => Promise.reject(new KeyStoreError('forbidden', 'grant the role to oid 1234'));
    await expect(ring.refresh()).rejects.toThrow('oid 1234');
    expect(listed).toHaveLength(1);
    expect(logged).toEqual([['warn', 'keyring.refresh_failed', { error: 'KeyStoreError:forbidden' }]]);
  });

  it('answers an unknown kid with undefined when the store is down, and recovers its health on the next listing', async () => {
    const { ring, store, clock } = setup();
    await ring.ready();
    const list = store.listVersions.bind(store);
    store.listVersions = () => Promise.reject(new Error('down'));
    await expect(ring.resolve('late')).resolves.toBeUndefined();
    expect(ring.health()).toMatchObject({ loaded: true, lastError: 'Error', refreshes: 1 });
    store.listVersions = list;
    clock.advance(2_000);
    await ring.refresh();
    expect(ring.health()).toEqual({ loaded: true, ageMs: 0, lastError: undefined, refreshes: 2 });
  });

  it('reports not loaded before the first listing', () => {
    expect(setup().ring.health()).toEqual({ loaded: false, ageMs: undefined, lastError: undefined, refreshes: 0 });
  });
});

describe('describeError', () => {
  it('names the class and the store failure, never the message', () => {
    const failure = new KeyStoreError('throttled', 'secret-ish text');
    expect(describeError(failure)).toBe('KeyStoreError:throttled');
    expect(describeError(new TypeError('secret-ish text'))).toBe('TypeError');
    expect(describeError('secret-ish text')).toBe('string');
    expect(describeError(undefined)).toBe('undefined');
  });
});
