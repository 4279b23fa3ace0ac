import { ensureFirstVersion } from '../../src/app/bootstrap';
import type { Logger } from '../../src/audit';
import { ManualClock, nowSeconds } from '../../src/clock';
import { KeyRing } from '../../src/keys/key-ring';
import type { CreateVersionOptions, KeyVersion } from '../../src/keys/key-store';
import { ProcessLock, type RotationLock } from '../../src/rotation/lock';
import { makeTestKey, StaticKeyStore } from '../support/token-factory';

/**
 * ensureFirstVersion: a brand-new embedded store gets its first key at once (active now), under the
 * rotation lock, so instances starting together on one folder make one key, not one each; a store
 * that has a current key, or a Key Vault store, is left alone.
 */
const T0_MS = Date.UTC(2026, 4, 1, 12, 0, 0);

function setup(kind: 'embedded' | 'keyvault' = 'embedded') {
  const clock = new ManualClock(T0_MS);
  const listed = new StaticKeyStore([]);
  const ring = new KeyRing(listed, clock, { alg: 'ES256', retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 5_000 });
  const created: CreateVersionOptions[] = [];
  /** A version as another instance (or this one) writes it into the shared store. */
  const addVersion = (notBefore: number, kid = `k${listed.versions.length + 1}`.padEnd(32, '0')): KeyVersion => {
    const { version } = makeTestKey('ES256', kid, { created: notBefore, notBefore });
    listed.versions.push(version);
    return version;
  };
  const store = {
    kind,
    createVersion: (options: CreateVersionOptions): Promise<KeyVersion> => {
      created.push(options);
      return Promise.resolve(addVersion(options.notBefore));
    },
  };
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  const logger: Logger = { log: (_level, message, fields) => lines.push([message, fields]) };
  const run = (lock: RotationLock = new ProcessLock()): Promise<void> => ensureFirstVersion(store, ring, clock, 'ES256', logger, lock);
  return { clock, listed, ring, created, addVersion, lines, run };
}

describe('ensureFirstVersion', () => {
  afterEach(() => jest.useRealTimers());

  it('makes the first version of an empty embedded store, active now, tagged as the bootstrap, and only once', async () => {
    const { clock, ring, created, lines, run } = setup();
    await run();
    expect(created).toEqual([{ notBefore: nowSeconds(clock), tags: { origin: 'bootstrap', alg: 'ES256' } }]);
    expect(ring.phases().map((p) => p.phase)).toEqual(['active']);
    expect(lines).toEqual([['keys.bootstrap', { kid: ring.phases()[0].version.kid, alg: 'ES256' }]]);
    await run();
    expect(created).toHaveLength(1);
  });

  it('leaves a store with an announced version alone (its key is on the way)', async () => {
    const { clock, created, addVersion, run } = setup();
    addVersion(nowSeconds(clock) + 600);
    await run();
    expect(created).toEqual([]);
  });

  it('makes a new version when every version is disabled or retired for good', async () => {
    const { clock, listed, created, addVersion, run } = setup();
    addVersion(nowSeconds(clock) - 60);
    listed.versions = listed.versions.map((version) => ({ ...version, enabled: false }));
    await run();
    expect(created).toHaveLength(1);
  });

  it('never creates a Key Vault key: the deployment (or KEY_VAULT_CREATE_KEY) does', async () => {
    const { created, run } = setup('keyvault');
    await run();
    expect(created).toEqual([]);
  });

  it('makes none when another instance made the key while this one waited for the lock', async () => {
    const { clock, created, addVersion, run } = setup();
    const inner = new ProcessLock();
    const lock: RotationLock = {
      withLock: (work) => {
        addVersion(nowSeconds(clock)); // the other instance's key, written before this one got the lock
        return inner.withLock(work);
      },
    };
    await run(lock);
    expect(created).toEqual([]);
  });

  it('with the lock held elsewhere, waits and takes the key the holder made', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { clock, ring, created, addVersion, run } = setup();
    let attempts = 0;
    const held: RotationLock = {
      withLock: () => {
        attempts += 1;
        if (attempts === 2) addVersion(nowSeconds(clock)); // the holder finished between two tries
        return Promise.resolve(undefined);
      },
    };
    const done = run(held);
    await jest.advanceTimersByTimeAsync(100);
    await jest.advanceTimersByTimeAsync(100);
    await done;
    expect(attempts).toBe(2);
    expect(created).toEqual([]);
    expect(ring.phases().map((p) => p.phase)).toEqual(['active']);
  });

  it('gives up after its bounded retries, without making a key, when the lock is never free', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { created, run } = setup();
    let attempts = 0;
    const held: RotationLock = {
      withLock: () => {
        attempts += 1;
        return Promise.resolve(undefined);
      },
    };
    let finished = false;
    const done = run(held).then(() => {
      finished = true;
    });
    await jest.advanceTimersByTimeAsync(49 * 100);
    expect(finished).toBe(false);
    await jest.advanceTimersByTimeAsync(100);
    await done;
    expect([attempts, created.length]).toEqual([50, 0]);
  });
});
