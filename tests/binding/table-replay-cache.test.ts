import { RestError, TableClient } from '@azure/data-tables';
import { silentLogger, type Logger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { replayKey } from '../../src/binding/replay-cache';
import { TableReplayCache } from '../../src/binding/table-replay-cache';
import { isServiceError } from '../../src/errors';
import { azuriteTable, uniqueTableName } from '../support/replay-table';

const NOW = Math.floor(Date.now() / 1000);
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

function cache(client: TableClient, clock: ManualClock, logger: Logger = silentLogger): TableReplayCache {
  return new TableReplayCache({ client, clock, logger });
}

describe('TableReplayCache on Azurite (shared by every instance)', () => {
  it('takes a proof once; a replay on the same instance is caught in memory, without a write', async () => {
    const clock = new ManualClock(NOW * 1000);
    const instance = cache(azuriteTable(), clock);
    expect(await instance.remember(JKT, 'jti-1', NOW + 65)).toBe('fresh');
    expect(await instance.remember(JKT, 'jti-1', NOW + 65)).toBe('replayed');
    expect(await instance.remember(JKT, 'jti-2', NOW + 65)).toBe('fresh');
    expect(await instance.remember('another-key-thumbprint-aaaaaaaaaaaaaaaaaaaa', 'jti-1', NOW + 65)).toBe('fresh');
    expect(instance.counts).toMatchObject({ inserts: 3, memoryHits: 1 });
    await instance.close();
  });

  it('refuses a replay on another instance: the table decides (insert-if-absent, 409)', async () => {
    const name = uniqueTableName();
    const clock = new ManualClock(NOW * 1000);
    const first = cache(azuriteTable(name), clock);
    const second = cache(azuriteTable(name), clock);
    expect(await first.remember(JKT, 'jti-1', NOW + 65)).toBe('fresh');
    expect(await second.remember(JKT, 'jti-1', NOW + 65)).toBe('replayed');
    expect(second.counts.inserts).toBe(1); // it asked the table
    expect(await second.remember(JKT, 'jti-1', NOW + 65)).toBe('replayed'); // and now knows
    expect(second.counts.memoryHits).toBe(1);
    await Promise.all([first.close(), second.close()]);
  });

  it('lets exactly one of two instances take the same proof at the same moment', async () => {
    const name = uniqueTableName();
    const clock = new ManualClock(NOW * 1000);
    const instances = [cache(azuriteTable(name), clock), cache(azuriteTable(name), clock), cache(azuriteTable(name), clock)];
    const verdicts = await Promise.all(instances.map((instance) => instance.remember(JKT, 'raced', NOW + 65)));
    expect(verdicts.sort()).toEqual(['fresh', 'replayed', 'replayed']);
    await Promise.all(instances.map((instance) => instance.close()));
  });

  it('keys records by a hash of (jkt, jti): attacker-chosen jti characters never reach a table key', async () => {
    const name = uniqueTableName();
    const clock = new ManualClock(NOW * 1000);
    const instance = cache(azuriteTable(name), clock);
    const hostile = "a/b\\c#d?e\u0000'\"";
    expect(await instance.remember(JKT, hostile, NOW + 65)).toBe('fresh');
    const rows = [];
    for await (const row of azuriteTable(name).listEntities()) rows.push(row);
    expect(rows.map((row) => row.rowKey)).toEqual([replayKey(JKT, hostile)]);
    expect(rows[0].rowKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await instance.close();
  });

  it('deletes expired records partition by partition and keeps the live ones', async () => {
    const name = uniqueTableName();
    const clock = new ManualClock(NOW * 1000);
    const instance = new TableReplayCache({ client: azuriteTable(name), clock, logger: silentLogger, sweepIntervalMs: 3_600_000 });
    for (let i = 0; i < 130; i += 1) await instance.remember(JKT, `old-${i}`, NOW + 65); // more than one transaction's worth
    await instance.close(); // the first write started a sweep: nothing had expired yet
    expect(await instance.remember(JKT, 'live', NOW + 3600)).toBe('fresh');
    clock.advance(1000 * 1000); // the first 130 have expired, 'live' has not
    expect(await instance.removeExpired()).toBe(130);
    const left = [];
    for await (const row of azuriteTable(name).listEntities()) left.push(row.rowKey);
    expect(left).toEqual([replayKey(JKT, 'live')]);
    expect(await instance.removeExpired()).toBe(0);
  });

  it('fails closed when the table can not be reached: 503 replay_cache_unavailable, never "fresh"', async () => {
    const warnings: string[] = [];
    const logger: Logger = { log: (_level, message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) };
    const unreachable = TableClient.fromConnectionString(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
      uniqueTableName(),
      { allowInsecureConnection: true, retryOptions: { maxRetries: 1, retryDelayInMs: 10, maxRetryDelayInMs: 20 } },
    );
    const instance = cache(unreachable, new ManualClock(NOW * 1000), logger);
    const failure = await instance.remember(JKT, 'jti-1', NOW + 65).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isServiceError(failure) && [failure.code, failure.status, failure.retryAfterSeconds]).toEqual(['replay_cache_unavailable', 503, 5]);
    expect(warnings.join('\n')).toMatch(/dpop\.replay_store_failed/);
    expect(warnings.join('\n')).not.toMatch(/jti-1/);
  });

  it('writes on when it may not create the table (a role scoped to the table): the table must exist', async () => {
    const name = uniqueTableName();
    await azuriteTable(name).createTable();
    const scoped = azuriteTable(name);
    scoped.createTable = () => Promise.reject(new RestError('This request is not authorized to perform this operation.', { statusCode: 403, code: 'AuthorizationPermissionMismatch' }));
    const instance = cache(scoped, new ManualClock(NOW * 1000));
    expect(await instance.remember(JKT, 'jti-1', NOW + 65)).toBe('fresh');
    expect(await cache(azuriteTable(name), new ManualClock(NOW * 1000)).remember(JKT, 'jti-1', NOW + 65)).toBe('replayed');
    await instance.close();
  });

  it('creates the table again when it was deleted under it', async () => {
    const name = uniqueTableName();
    const clock = new ManualClock(NOW * 1000);
    const instance = cache(azuriteTable(name), clock);
    expect(await instance.remember(JKT, 'before', NOW + 65)).toBe('fresh');
    await instance.close();
    await azuriteTable(name).deleteTable();
    expect(await instance.remember(JKT, 'after', NOW + 65)).toBe('fresh');
    await instance.close();
  });
});
