import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { TableRevocationService, type TableRevocationOptions } from '../../src/revocation/table-revocation-service';

/**
 * The revocation service on the real storage emulator (Azurite, started by the jest global setup):
 * sharing between instances, fail-closed start and staleness, cut-offs that only move later under
 * racing writers, reading one's own writes, any subject, and a steady-state cost of one read a poll.
 */
const NOW = Math.floor(Date.now() / 1000);
const DEAD_TABLE_ENDPOINT =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1';

const tableName = (): string => `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`;

function table(name: string): TableClient {
  const connection = process.env.AZURITE_CONNECTION_STRING;
  if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
  return TableClient.fromConnectionString(connection, name, { allowInsecureConnection: true });
}

const running: TableRevocationService[] = [];
function service(client: TableClient, clock: ManualClock, extra: Partial<TableRevocationOptions> = {}): TableRevocationService {
  const created = new TableRevocationService({ client, clock, logger: silentLogger, coverSeconds: 3660, syncIntervalMs: 60_000, maxStalenessMs: 300_000, ...extra });
  running.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'answered';
  } catch (error: unknown) {
    return (error as { code?: string }).code ?? 'threw';
  }
}

describe('sharing and restarts', () => {
  it('shares revocations between instances and survives a new instance (restart)', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const [first, second] = [service(table(name), clock), service(table(name), clock)];
    await first.start();
    await second.start();
    await first.revokeToken('jti-1', NOW + 600, 'test');
    await first.revokeSubject('user/with#odd?chars', NOW, 'test');
    expect(first.isRevoked({ jti: 'jti-1' })).toBe(true);
    await second.sync();
    expect(second.isRevoked({ jti: 'jti-1' })).toBe(true);
    expect(second.isRevoked({ jti: 'x', sub: 'user/with#odd?chars', iat: NOW })).toBe(true);
    const restarted = service(table(name), clock);
    await restarted.start();
    expect(restarted.isRevoked({ jti: 'jti-1' })).toBe(true);
    expect(restarted.isRevoked({ jti: 'x', sub: 'user/with#odd?chars', iat: NOW })).toBe(true);
    expect(restarted.health()).toMatchObject({ ready: true });
  });

  it('forgets and cleans up entries once their tokens have expired', async () => {
    const clock = new ManualClock(NOW * 1000);
    const revocations = service(table(tableName()), clock, { fullReloadIntervalMs: 1 });
    await revocations.start();
    await revocations.revokeToken('short', NOW + 60, 'test');
    await revocations.revokeToken('long', NOW + 6000, 'test');
    clock.advance(120_000);
    await revocations.sync();
    expect(revocations.isRevoked({ jti: 'short' })).toBe(false);
    expect(await revocations.removeExpired()).toBe(1);
    expect(revocations.isRevoked({ jti: 'long' })).toBe(true);
  });

  it('revokes any subject sign accepts: keys are hashes, the subject is kept for audit', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const revocations = service(table(name), clock);
    await revocations.start();
    const long = `${'x'.repeat(5000)}/\\#?\u0001é`;
    await revocations.revokeSubject(long, NOW, 'test');
    const other = service(table(name), clock);
    await other.start();
    expect(other.isRevoked({ sub: long, iat: NOW })).toBe(true);
    expect(other.isRevoked({ sub: 'x'.repeat(5000), iat: NOW })).toBe(false);
    const rows = [];
    for await (const row of table(name).listEntities<{ sub?: string }>()) rows.push(row);
    const stored = rows.find((row) => row.partitionKey === 'sub');
    expect(stored?.rowKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored?.sub).toBe(long);
  });

  it('reads the subject of rows written before subjects were hashed (base64url RowKey)', async () => {
    const name = tableName();
    const client = table(name);
    await client.createTable();
    await client.createEntity({ partitionKey: 'sub', rowKey: Buffer.from('legacy-user').toString('base64url'), before: NOW, expires: NOW + 3600, by: 'v1' });
    const revocations = service(table(name), new ManualClock(NOW * 1000));
    await revocations.start();
    expect(revocations.isRevoked({ sub: 'legacy-user', iat: NOW })).toBe(true);
  });
});

describe('a cut-off only ever moves later', () => {
  it.each(['subject', 'all'] as const)('a later call with an earlier "before" does not un-revoke (%s)', async (kind) => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const revocations = service(table(name), clock);
    await revocations.start();
    const raise = (before: number): Promise<number> => (kind === 'subject' ? revocations.revokeSubject('alice', before, 'test') : revocations.revokeAllBefore(before, 'test'));
    expect(await raise(NOW)).toBe(NOW);
    expect(await raise(0)).toBe(NOW);
    expect(await raise(NOW - 100)).toBe(NOW);
    const fresh = service(table(name), clock);
    await fresh.start();
    expect(fresh.isRevoked({ jti: 'j', sub: 'alice', iat: NOW - 1 })).toBe(true);
    expect(revocations.isRevoked({ jti: 'j', sub: 'alice', iat: NOW - 1 })).toBe(true);
    expect(await raise(NOW + 10)).toBe(NOW + 10);
  });

  it('keeps the latest cut-off when writers on several instances race (compare-and-set on the ETag)', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const writers = [1, 2, 3, 4].map(() => service(table(name), clock));
    await Promise.all(writers.map((w) => w.start()));
    const cutoffs = Array.from({ length: 24 }, (_, i) => NOW - 1000 + ((i * 7919) % 997));
    await Promise.all(cutoffs.map((before, i) => writers[i % writers.length].revokeSubject('raced', before, `writer-${i}`)));
    const reader = service(table(name), clock);
    await reader.start();
    const latest = Math.max(...cutoffs);
    expect(reader.isRevoked({ sub: 'raced', iat: latest })).toBe(true);
    expect(reader.isRevoked({ sub: 'raced', iat: latest + 1 })).toBe(false);
  });
});

describe('fails closed', () => {
  const deadService = (clock: ManualClock): TableRevocationService =>
    service(TableClient.fromConnectionString(DEAD_TABLE_ENDPOINT, tableName(), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } }), clock);

  it('judges nothing before its first load: an unreachable table at start answers 503, never "not revoked"', async () => {
    const dead = deadService(new ManualClock(NOW * 1000));
    await dead.start(2000);
    expect(dead.health()).toMatchObject({ ready: false });
    expect(await refusal(() => dead.isRevoked({ jti: 'anything' }))).toBe('revocation_unavailable');
    expect(await refusal(() => dead.revokeToken('x', NOW + 60, 'test'))).toBe('revocation_unavailable');
  });

  it('serves the last good view for a bounded staleness after an outage, then answers 503', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const live = service(table(name), clock, { maxStalenessMs: 60_000 });
    await live.start();
    await live.revokeToken('kept', NOW + 600, 'test');
    // The same view, then storage gone: a second instance loaded, then pointed at nothing.
    const client = table(name);
    const flaky = service(client, clock, { maxStalenessMs: 60_000 });
    await flaky.start();
    (client as unknown as { getEntity: () => Promise<never> }).getEntity = () => Promise.reject(Object.assign(new Error('down'), { name: 'RestError' }));
    clock.advance(30_000);
    await expect(flaky.sync()).rejects.toThrow('down');
    expect(flaky.isRevoked({ jti: 'kept' })).toBe(true);
    expect(flaky.health()).toMatchObject({ ready: true, stalenessMs: 30_000 });
    clock.advance(31_000);
    expect(await refusal(() => flaky.isRevoked({ jti: 'kept' }))).toBe('revocation_unavailable');
    expect(flaky.health()).toMatchObject({ ready: false });
  });

  it('reads on when it may not create the table (a role scoped to the table): 403 on create is "must exist"', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const writer = service(table(name), clock);
    await writer.start();
    await writer.revokeToken('before-restart', NOW + 600, 'test');
    const scoped = table(name);
    (scoped as unknown as { createTable: () => Promise<never> }).createTable = () => Promise.reject(Object.assign(new Error('AuthorizationPermissionMismatch'), { name: 'RestError', statusCode: 403 }));
    const restarted = service(scoped, clock);
    await restarted.start();
    expect(restarted.isRevoked({ jti: 'before-restart' })).toBe(true);
  });
});

describe('reads its own writes', () => {
  it('keeps a revocation made while a full re-read that started earlier was under way', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const revocations = service(table(name), clock, { fullReloadIntervalMs: 1 });
    await revocations.start();
    for (let i = 0; i < 20; i += 1) {
      clock.advance(10);
      const reread = revocations.sync();
      await revocations.revokeToken(`own-${i}`, NOW + 600, 'test');
      expect(revocations.isRevoked({ jti: `own-${i}` })).toBe(true);
      await reread;
      expect(revocations.isRevoked({ jti: `own-${i}` })).toBe(true);
    }
  });
});

describe('cost that does not grow with the table', () => {
  it('reads one entity per poll when nothing changed, and only the new change-log rows when something did', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const writer = service(table(name), clock);
    await writer.start();
    for (let i = 0; i < 200; i += 1) await writer.revokeToken(`bulk-${i}`, NOW + 3600, 'test');
    const reader = service(table(name), clock);
    await reader.start();
    const afterLoad = reader.entitiesRead;
    expect(afterLoad).toBeGreaterThanOrEqual(200);
    for (let i = 0; i < 10; i += 1) {
      clock.advance(1000);
      await reader.sync();
    }
    expect(reader.entitiesRead - afterLoad).toBe(10);
    await writer.revokeToken('new-one', NOW + 3600, 'test');
    clock.advance(1000);
    const beforeChange = reader.entitiesRead;
    await reader.sync();
    expect(reader.isRevoked({ jti: 'new-one' })).toBe(true);
    // The marker and the one change-log row it numbers, not the 200 state rows.
    expect(reader.entitiesRead - beforeChange).toBe(2);
  });

  it('waits briefly for a numbered change whose row is not written yet, then passes over it; the full read covers it', async () => {
    const name = tableName();
    const clock = new ManualClock(NOW * 1000);
    const client = table(name);
    const writer = service(client, clock);
    await writer.start();
    const reader = service(table(name), clock, { fullReloadIntervalMs: 3_600_000 });
    await reader.start();
    // A writer that took number 1 and died before writing its log row; then a complete write (number 2).
    await client.createEntity({ partitionKey: 'jti', rowKey: 'orphan', jti: 'orphan', expires: NOW + 86_400 });
    await client.upsertEntity({ partitionKey: 'meta', rowKey: 'changes', seq: 1 }, 'Replace');
    await writer.revokeToken('after-gap', NOW + 600, 'test');
    clock.advance(1000);
    await reader.sync();
    expect(reader.isRevoked({ jti: 'after-gap' })).toBe(true);
    clock.advance(11_000);
    await reader.sync();
    const afterPass = reader.entitiesRead;
    clock.advance(1000);
    await reader.sync();
    expect(reader.entitiesRead - afterPass).toBe(1);
    clock.advance(3_600_000);
    await reader.sync();
    expect(reader.isRevoked({ jti: 'orphan' })).toBe(true);
  });
});
