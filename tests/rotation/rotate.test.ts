import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/audit';
import { ManualClock, nowSeconds } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { KeyStoreError } from '../../src/keys/key-store';
import { computePhases, type PhasedKey } from '../../src/keys/phases';
import { ProcessLock, type RotationLock } from '../../src/rotation/lock';
import { emergencyRotate, rotateKeys, scheduleNextKey, type RotationDependencies } from '../../src/rotation/rotate';
import { RotationStatus } from '../../src/rotation/status';
import type { RotationOutcome, RotationTrigger } from '../../src/telemetry/metrics';

/**
 * One key's rotation runs on the embedded key store (a real store in a temporary folder) with an
 * injected clock: what a timer tick creates and disables, what it records, counts and audits, and
 * the two admin operations. The many-instance races are in concurrency.test.ts.
 */
const DAY = 86_400;
const START = Date.parse('2026-01-01T00:00:00Z');
const policy = { alg: 'ES256' as const, intervalSeconds: 90 * DAY, propagationSeconds: 2 * DAY };
const RETENTION = 7200;

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Harness {
  deps: RotationDependencies;
  store: EmbeddedKeyStore<'ES256'>;
  clock: ManualClock;
  runs: Array<{ trigger: RotationTrigger; outcome: RotationOutcome; code?: string }>;
  logs: Array<{ message: string; fields?: Record<string, unknown> }>;
  phases: () => Promise<Array<[string, string]>>;
}

function harness(lock: RotationLock = new ProcessLock()): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-rotate-'));
  dirs.push(dir);
  const clock = new ManualClock(START);
  const store = new EmbeddedKeyStore({ dir, alg: 'ES256', clock });
  let phased: PhasedKey<'ES256'>[] = [];
  const ring = {
    refresh: async () => {
      phased = computePhases(await store.listVersions(), nowSeconds(clock), { alg: 'ES256', retentionSeconds: RETENTION });
    },
    phases: () => phased,
  };
  const runs: Harness['runs'] = [];
  const logs: Harness['logs'] = [];
  const logger: Logger = { log: (_level, message, fields) => logs.push({ message, fields }) };
  const deps: RotationDependencies = { store, ring, clock, logger, lock, status: new RotationStatus(), policy, use: 'sig', metrics: { rotationRan: (e) => runs.push(e) } };
  const phases = async (): Promise<Array<[string, string]>> => {
    await ring.refresh();
    return ring.phases().map((p) => [p.version.kid, p.phase]);
  };
  return { deps, store, clock, runs, logs, phases };
}

/** A lock that is always held elsewhere. */
const heldElsewhere: RotationLock = { withLock: () => Promise.resolve(undefined) };

describe('rotateKeys (a timer tick)', () => {
  it('creates a key that signs at once when none can, and records, counts and audits it', async () => {
    const { deps, store, clock, runs, logs } = harness();
    const report = await rotateKeys(deps, 'timer');
    expect(report).toMatchObject({ ran: true, disabled: [], reason: 'no key can sign: creating one that signs at once' });
    const [version] = await store.listVersions();
    expect(report.created).toBe(version.kid);
    expect(version).toMatchObject({ notBefore: nowSeconds(clock), tags: { origin: 'rotation', alg: 'ES256' } });
    expect(deps.status).toMatchObject({ lastRunMs: START, lastSuccessMs: START, lastCreated: version.kid });
    expect(runs).toEqual([{ key: 'sig', trigger: 'timer', outcome: 'created' }]);
    expect(logs).toEqual([{ message: 'audit.rotate', fields: expect.objectContaining({ outcome: 'success', caller: 'timer', kid: version.kid }) }]);
  });

  it('does nothing before the successor is due, and audits nothing then', async () => {
    const { deps, clock, runs, logs, phases } = harness();
    await rotateKeys(deps, 'timer');
    logs.length = 0;
    clock.advance(88 * DAY * 1000 - 1000);
    expect(await rotateKeys(deps, 'timer')).toMatchObject({ ran: true, created: undefined, disabled: [] });
    expect((await phases()).map(([, phase]) => phase)).toEqual(['active']);
    expect(runs.map((r) => r.outcome)).toEqual(['created', 'unchanged']);
    expect(logs).toEqual([]);
  });

  it('announces the successor a propagation before the interval ends, then disables the old key after its retention', async () => {
    const { deps, store, clock } = harness();
    const first = (await rotateKeys(deps, 'timer')).created;
    clock.advance(88 * DAY * 1000);
    const successor = (await rotateKeys(deps, 'timer')).created;
    expect((await store.listVersions()).find((v) => v.kid === successor)?.notBefore).toBe(nowSeconds(clock) + 2 * DAY);
    clock.advance((2 * DAY + RETENTION - 1) * 1000);
    expect((await rotateKeys(deps, 'timer')).disabled).toEqual([]);
    clock.advance(1000);
    expect(await rotateKeys(deps, 'timer')).toMatchObject({ created: undefined, disabled: [first] });
    expect((await store.listVersions()).find((v) => v.kid === first)?.enabled).toBe(false);
  });

  it('disables all but the first of several announced successors (they never signed), whoever created them', async () => {
    const { deps, store, clock, phases } = harness();
    const active = (await rotateKeys(deps, 'timer')).created;
    const announceAt = nowSeconds(clock) + 90 * DAY;
    const kept = await store.createVersion({ notBefore: announceAt });
    clock.advance(DAY * 1000);
    const surplus = await store.createVersion({ notBefore: announceAt });
    const report = await rotateKeys(deps, 'timer');
    expect(report.disabled).toEqual([surplus.kid]);
    expect(await phases()).toEqual([
      [active, 'active'],
      [kept.kid, 'announced'],
      [surplus.kid, 'disabled'],
    ]);
  });

  it('does not report as created a version it made that turned out to be the surplus one', async () => {
    const { deps, store, clock } = harness();
    await rotateKeys(deps, 'timer');
    clock.advance(88 * DAY * 1000);
    // Another instance announced a successor for the same instant a moment before this one lists.
    const raced = await store.createVersion({ notBefore: nowSeconds(clock) + 2 * DAY - 1 });
    // This instance planned from a listing taken before that announcement landed.
    let listings = 0;
    const lateRing = {
      refresh: () => deps.ring.refresh(),
      phases: () => {
        listings += 1;
        return listings === 1 ? deps.ring.phases().filter((p) => p.version.kid !== raced.kid) : deps.ring.phases();
      },
    };
    const report = await rotateKeys({ ...deps, ring: lateRing }, 'timer');
    expect(report.created).toBeUndefined();
    expect(report.disabled).toHaveLength(1);
    expect(report.disabled[0]).not.toBe(raced.kid);
  });

  it('does nothing while another run holds the lock, and counts the run as skipped', async () => {
    const { deps, store, runs } = harness(heldElsewhere);
    expect(await rotateKeys(deps, 'admin')).toEqual({ ran: false, disabled: [], reason: 'another rotation is running' });
    expect(await store.listVersions()).toEqual([]);
    expect(runs).toEqual([{ key: 'sig', trigger: 'admin', outcome: 'skipped' }]);
    expect(deps.status.lastRunMs).toBeUndefined();
  });

  it('turns a store failure into its service error, and records, counts and audits the failure', async () => {
    const { deps, runs, logs } = harness();
    const forbidden = new KeyStoreError('forbidden', 'The identity lacks the Key Vault Crypto Officer role.');
    const failing = { ...deps, store: { ...deps.store, createVersion: () => Promise.reject(forbidden), disableVersion: deps.store.disableVersion.bind(deps.store) } };
    const error = await rotateKeys(failing, 'timer').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'key_store_forbidden', message: 'The identity lacks the Key Vault Crypto Officer role.' });
    expect(deps.status.lastFailure).toEqual({ atMs: START, code: 'key_store_forbidden', message: 'The identity lacks the Key Vault Crypto Officer role.' });
    expect(runs).toEqual([{ key: 'sig', trigger: 'timer', outcome: 'failed', code: 'key_store_forbidden' }]);
    expect(logs).toEqual([{ message: 'audit.rotate', fields: expect.objectContaining({ outcome: 'failure', caller: 'timer', code: 'key_store_forbidden' }) }]);
  });
});

describe('scheduleNextKey (admin)', () => {
  it('announces a successor a propagation from now, then answers that one again (idempotent)', async () => {
    const { deps, clock, runs } = harness();
    await rotateKeys(deps, 'timer');
    const scheduled = await scheduleNextKey(deps);
    expect(scheduled).toMatchObject({ activates: nowSeconds(clock) + 2 * DAY, created: true });
    clock.advance(3_600_000);
    expect(await scheduleNextKey(deps)).toEqual({ ...scheduled, created: false });
    expect(runs.slice(1).map((r) => [r.trigger, r.outcome])).toEqual([
      ['admin', 'created'],
      ['admin', 'unchanged'],
    ]);
  });

  it('answers 409 conflict while another run holds the lock', async () => {
    const { deps, runs } = harness(heldElsewhere);
    await expect(scheduleNextKey(deps)).rejects.toMatchObject({ code: 'conflict' });
    expect(runs).toEqual([{ key: 'sig', trigger: 'admin', outcome: 'skipped' }]);
  });
});

describe('emergencyRotate (admin)', () => {
  it('replaces the active key with one that signs at once and disables the old one at once, auditing who and why', async () => {
    const { deps, clock, logs, phases, runs } = harness();
    const old = (await rotateKeys(deps, 'timer')).created;
    clock.advance(3_600_000);
    const result = await emergencyRotate(deps, 'private key in a log', 'admin-oid');
    expect(result.disabled).toEqual([old]);
    expect(await phases()).toEqual([
      [old, 'disabled'],
      [result.kid, 'active'],
    ]);
    expect(logs.at(-1)).toEqual({ message: 'audit.rotate', fields: expect.objectContaining({ caller: 'admin-oid', kid: result.kid, detail: `emergency: private key in a log; disabled ${old}` }) });
    expect(runs.at(-1)).toEqual({ key: 'sig', trigger: 'emergency', outcome: 'created' });
  });

  it('answers 409 conflict while another run holds the lock, touching nothing', async () => {
    const { deps, store } = harness(heldElsewhere);
    await expect(emergencyRotate(deps, 'why', 'admin')).rejects.toMatchObject({ code: 'conflict' });
    expect(await store.listVersions()).toEqual([]);
  });
});
