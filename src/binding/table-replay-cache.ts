import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import { replayCacheUnavailable, replayKey, type ReplayCache, type ReplayVerdict } from './replay-cache';
import { SeenProofs } from './seen-proofs';

interface ReplayRecord {
  partitionKey: string;
  rowKey: string;
  expires: number;
}

export interface TableReplayCacheOptions {
  client: TableClient;
  clock: Clock;
  logger: Logger;
  memory?: SeenProofs;
  /** At most this often an instance deletes expired records, in the background of a write. */
  sweepIntervalMs?: number;
}

/** Records are grouped by when they expire, in buckets of this many seconds. */
const BUCKET_SECONDS = 300;
/** A Table Storage transaction holds at most 100 operations, all in one partition. */
const MAX_TRANSACTION = 100;
const DEFAULT_SWEEP_INTERVAL_MS = 5 * 60_000;

/** Zero-padded so that partition keys sort as their buckets do ("lt" in a filter is a string comparison). */
function partitionOf(unixSeconds: number): string {
  return `e${String(Math.floor(unixSeconds / BUCKET_SECONDS)).padStart(10, '0')}`;
}

function statusOf(error: unknown): number | undefined {
  const status = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The replay cache on Azure Table Storage (Azurite locally), shared by every instance. A proof is
 * recorded with an insert-if-absent (`createEntity`): the first insert wins, every later one is a
 * 409 and so a replay, whichever instance it reaches. The partition is the record's expiry bucket,
 * so expired records are whole partitions below the current one: found with a range query on the
 * partition key and deleted in transactions of 100. An in-memory set answers replays on the
 * same instance without a round trip.
 */
export class TableReplayCache implements ReplayCache {
  /** Writes this cache made (inserts; a replay caught in memory makes none), for benchmarks and health. */
  readonly counts = { inserts: 0, memoryHits: 0, deletes: 0 };
  private readonly memory: SeenProofs;
  private readonly sweepIntervalMs: number;
  private tableReady: Promise<void> | undefined;
  private lastSweepMs: number | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(private readonly options: TableReplayCacheOptions) {
    this.memory = options.memory ?? new SeenProofs();
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  }

  async remember(jkt: string, jti: string, expiresAt: number): Promise<ReplayVerdict> {
    const key = replayKey(jkt, jti);
    if (this.memory.has(key, nowSeconds(this.options.clock))) {
      this.counts.memoryHits += 1;
      return 'replayed';
    }
    const verdict = await this.insert({ partitionKey: partitionOf(expiresAt), rowKey: key, expires: expiresAt });
    this.memory.add(key, expiresAt);
    this.sweepNowAndThen();
    return verdict;
  }

  /**
   * Creating needs more than writing rows (the role may be scoped to the table), so a refused create
   * means "it must exist": the insert tells the truth, and a 404 there creates it once more.
   */
  private ensureTable(): Promise<void> {
    this.tableReady ??= this.options.client.createTable().then(
      () => undefined,
      () => undefined,
    );
    return this.tableReady;
  }

  private async insert(record: ReplayRecord, attempt = 1): Promise<ReplayVerdict> {
    try {
      await this.ensureTable();
      this.counts.inserts += 1;
      await this.options.client.createEntity(record);
      return 'fresh';
    } catch (error: unknown) {
      const status = statusOf(error);
      if (status === 409) return 'replayed';
      if (status === 404 && attempt === 1) {
        // The table was deleted under us: create it again, once.
        this.tableReady = undefined;
        return this.insert(record, 2);
      }
      this.options.logger.log('warn', 'dpop.replay_store_failed', { error: error instanceof Error ? error.name : typeof error, status });
      throw replayCacheUnavailable(error);
    }
  }

  /** Deletes every record whose proof has expired: the partitions below the current bucket. Returns how many. */
  async removeExpired(): Promise<number> {
    const below = partitionOf(nowSeconds(this.options.clock));
    const pending = new Map<string, TransactionAction[]>();
    let removed = 0;
    const flush = async (partition: string): Promise<void> => {
      const actions = pending.get(partition) ?? [];
      pending.delete(partition);
      if (actions.length === 0) return;
      try {
        await this.options.client.submitTransaction(actions);
        removed += actions.length;
        this.counts.deletes += actions.length;
      } catch {
        // Another instance swept the same rows first; whatever is left goes next time.
      }
    };
    for await (const record of this.options.client.listEntities<ReplayRecord>({ queryOptions: { filter: odata`PartitionKey lt ${below}` } })) {
      const actions = pending.get(record.partitionKey) ?? [];
      actions.push(['delete', { partitionKey: record.partitionKey, rowKey: record.rowKey }]);
      pending.set(record.partitionKey, actions);
      if (actions.length === MAX_TRANSACTION) await flush(record.partitionKey);
    }
    for (const partition of [...pending.keys()]) await flush(partition);
    return removed;
  }

  /** A background sweep, at most once per interval (the first write of an instance starts one). */
  private sweepNowAndThen(): void {
    const now = this.options.clock.nowMs();
    if (this.sweeping || (this.lastSweepMs !== undefined && now - this.lastSweepMs < this.sweepIntervalMs)) return;
    this.lastSweepMs = now;
    this.sweeping = this.removeExpired()
      .catch((error: unknown) => {
        this.options.logger.log('warn', 'dpop.replay_sweep_failed', { error: error instanceof Error ? error.name : typeof error });
        return 0;
      })
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  /** Waits for a background sweep (shutdown, tests). */
  async close(): Promise<void> {
    await this.sweeping;
  }
}
