/**
 * What keeping the revocation view current costs each instance, in Table Storage entities read per
 * second, at 0, 1,000 and 10,000 live revocation rows — against Azurite (started here, in memory).
 * Before: every instance listed the whole table every second. After: one point read of the change
 * marker a second, the unseen change-log rows when something changed, and a full read once an hour;
 * the figure is an hour of polls at one a second (3,600 polls, the hourly full read included).
 */
import { TableClient } from '@azure/data-tables';
import { silentLogger } from '../src/audit';
import { ManualClock } from '../src/clock';
import { TableRevocationService } from '../src/revocation/table-revocation-service';
import { startAzuriteOnFreePorts } from './processes';

const POLLS = 3600;

async function fill(client: TableClient, rows: number, expires: number): Promise<void> {
  await client.createTable();
  for (let start = 0; start < rows; start += 100) {
    const batch = Array.from({ length: Math.min(100, rows - start) }, (_, i) => ['create', { partitionKey: 'jti', rowKey: `row-${start + i}`, jti: `row-${start + i}`, expires }] as const);
    await client.submitTransaction(batch.map(([action, entity]) => [action, entity]));
  }
}

/** The old design's cost: one whole listing per poll. */
async function listingEntities(client: TableClient): Promise<number> {
  let count = 0;
  for await (const _row of client.listEntities()) count += 1;
  return count;
}

export async function benchRevocationScaling(): Promise<string[]> {
  const azurite = await startAzuriteOnFreePorts();
  const lines: string[] = [];
  try {
    for (const rows of [0, 1000, 10_000]) {
      const name = `bench${rows}x${Date.now() % 100000}`;
      const client = TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
      const clock = new ManualClock(Date.now());
      await fill(client, rows, Math.floor(clock.nowMs() / 1000) + 86_400);
      const before = await listingEntities(client);
      const service = new TableRevocationService({ client, clock, logger: silentLogger, coverSeconds: 3660, syncIntervalMs: 3_600_000, maxStalenessMs: 300_000 });
      await service.start();
      const startedAt = service.entitiesRead;
      for (let poll = 0; poll < POLLS; poll += 1) {
        clock.advance(1000);
        await service.sync();
      }
      const after = (service.entitiesRead - startedAt) / POLLS;
      await service.close();
      const ratio = before === 0 ? 'one point read instead of an empty listing' : `${Math.round(before / after).toLocaleString('en-US')}× fewer`;
      lines.push(`| ${rows.toLocaleString('en-US')} | ${before.toLocaleString('en-US')} | ${after.toFixed(2)} | ${ratio} |`);
    }
  } finally {
    await azurite.stop();
  }
  return lines;
}
