import { createHash } from 'node:crypto';
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { RevocationEntry } from './revocation-view';

/**
 * The revocation table's rows, and every read and write of them. Three kinds of row:
 * - **state** rows, one per revoked thing, the truth: PartitionKey `jti` | `sub` | `all`, RowKey a
 *   SHA-256 of the value (any subject fits Table Storage's 1 KiB key limit and its forbidden
 *   characters); the subject itself is kept in a property, for audit. A cut-off row is only ever
 *   moved later, by compare-and-set on its ETag.
 * - one **marker** row (`meta`/`changes`) holding the number of the last change, raised by
 *   compare-and-set on every write: one point read a second tells an instance whether anything
 *   changed at all, and which changes it has not seen.
 * - **change-log** rows, one per write, numbered by the marker, so instances fetch exactly what
 *   they have not seen: PartitionKey `log-<number / 1000>`, RowKey the number (15 digits).
 */
const MARKER = { partitionKey: 'meta', rowKey: 'changes' } as const;
const LOG_BUCKET = 1000;
const MAX_CAS_ATTEMPTS = 16;

interface StoredRow {
  partitionKey: string;
  rowKey: string;
  sub?: string;
  jti?: string;
  before?: number;
  expires: number;
  by?: string;
}

export interface Change {
  seq: number;
  entry: RevocationEntry;
}

/** Counts what this instance reads, for the scaling benchmark (entities read per second). */
export interface ReadCounter {
  entities: number;
}

function keyOf(kind: 'jti' | 'sub', value: string): string {
  return createHash('sha256').update(`${kind}:${value}`).digest('base64url');
}

export function stateRow(entry: RevocationEntry, by: string): StoredRow {
  if (entry.kind === 'jti') return { partitionKey: 'jti', rowKey: keyOf('jti', entry.jti), jti: entry.jti, expires: entry.expires, by };
  if (entry.kind === 'sub') return { partitionKey: 'sub', rowKey: keyOf('sub', entry.sub), sub: entry.sub, before: entry.before, expires: entry.expires, by };
  return { partitionKey: 'all', rowKey: 'all', before: entry.before, expires: entry.expires, by };
}

/** A row back to an entry; rows written before subjects were hashed carry the subject base64url-encoded in their RowKey. */
export function toEntry(row: Partial<StoredRow> & { partitionKey?: string; rowKey?: string }): RevocationEntry | undefined {
  const expires = Number(row.expires);
  const before = Number(row.before);
  const kind = row.partitionKey?.startsWith('log-') ? (row.jti !== undefined ? 'jti' : row.sub !== undefined ? 'sub' : 'all') : row.partitionKey;
  if (kind === 'jti') return { kind, jti: row.jti ?? row.rowKey ?? '', expires };
  if (kind === 'sub') return { kind, sub: row.sub ?? Buffer.from(row.rowKey ?? '', 'base64url').toString(), before, expires };
  if (kind === 'all') return { kind, before, expires };
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : undefined;
}

/** After losing a compare-and-set: a short random pause, growing, so racing writers spread out. */
const contentionPause = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

const bucketOf = (seq: number): string => `log-${String(Math.floor(seq / LOG_BUCKET)).padStart(12, '0')}`;
const seqKey = (seq: number): string => String(seq).padStart(15, '0');

export class RevocationTable {
  constructor(
    private readonly client: TableClient,
    readonly reads: ReadCounter = { entities: 0 },
  ) {}

  /** Creating needs more than reading (the role may be scoped to the table): "cannot create" means "must exist", so read on. */
  async ensureTable(): Promise<void> {
    await this.client.createTable().catch(() => undefined);
  }

  /** Every state row: the full picture (start-up, and a periodic safety net). */
  async readAll(): Promise<RevocationEntry[]> {
    const entries: RevocationEntry[] = [];
    for (const kind of ['jti', 'sub', 'all']) {
      for await (const row of this.client.listEntities<StoredRow>({ queryOptions: { filter: odata`PartitionKey eq ${kind}` } })) {
        this.reads.entities += 1;
        const entry = toEntry(row);
        if (entry) entries.push(entry);
      }
    }
    return entries;
  }

  /** The number of the last change (0 while nothing was ever written), with the marker's ETag. */
  async lastChange(): Promise<{ seq: number; etag?: string }> {
    // One point read, counted whether or not the row exists yet (a request is a request).
    this.reads.entities += 1;
    try {
      const marker = await this.client.getEntity<{ seq?: number }>(MARKER.partitionKey, MARKER.rowKey);
      return { seq: Number(marker.seq ?? 0), etag: marker.etag };
    } catch (error: unknown) {
      if (statusOf(error) === 404) return { seq: 0 };
      throw error;
    }
  }

  /**
   * The change-log rows numbered above `after`, read from the partitions that can hold numbers up to `upTo`
   * (a row numbered past `upTo` may come too: applying a later revocation early only revokes sooner).
   */
  async changesAfter(after: number, upTo: number): Promise<Change[]> {
    const changes: Change[] = [];
    for (let bucket = Math.floor((after + 1) / LOG_BUCKET); bucket <= Math.floor(upTo / LOG_BUCKET); bucket += 1) {
      const filter = odata`PartitionKey eq ${bucketOf(bucket * LOG_BUCKET)} and RowKey gt ${seqKey(after)}`;
      for await (const row of this.client.listEntities<StoredRow>({ queryOptions: { filter } })) {
        this.reads.entities += 1;
        const entry = toEntry(row);
        if (entry) changes.push({ seq: Number(row.rowKey), entry });
      }
    }
    return changes;
  }

  /** A token's row: created once; a second revocation of the same token changes nothing. */
  async addToken(entry: Extract<RevocationEntry, { kind: 'jti' }>, by: string): Promise<void> {
    try {
      await this.client.createEntity(stateRow(entry, by));
    } catch (error: unknown) {
      if (statusOf(error) !== 409) throw error;
    }
  }

  /**
   * Moves a cut-off later, never earlier: compare-and-set on the row's ETag, retried when another
   * writer got there first. Returns the cut-off in force afterwards (ours or a later one).
   */
  async raiseCutoff(entry: Extract<RevocationEntry, { kind: 'sub' | 'all' }>, by: string): Promise<number> {
    const row = stateRow(entry, by);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
      let existing: TableEntityResult<StoredRow> | undefined;
      try {
        existing = await this.client.getEntity<StoredRow>(row.partitionKey, row.rowKey);
      } catch (error: unknown) {
        if (statusOf(error) !== 404) throw error;
      }
      try {
        if (!existing) {
          await this.client.createEntity(row);
          return entry.before;
        }
        if (Number(existing.before) >= entry.before) return Number(existing.before);
        await this.client.updateEntity(row, 'Replace', { etag: existing.etag });
        return entry.before;
      } catch (error: unknown) {
        // 409: created by another writer since we looked; 412: changed since we looked. Look again.
        if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
        await contentionPause(attempt);
      }
    }
    throw new Error('the revocation row kept changing under concurrent writers');
  }

  /**
   * Records a change for the other instances: takes the next number from the marker
   * (compare-and-set on its ETag), then writes the change-log row under that number. The state row
   * is written first, so a reader that saw the number finds the state too, even on a full read.
   */
  async announce(entry: RevocationEntry, nowMs: number, by: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
      const { seq, etag } = await this.lastChange();
      const next = { ...MARKER, seq: seq + 1, lastWriteMs: nowMs };
      try {
        if (etag === undefined) await this.client.createEntity(next);
        else await this.client.updateEntity(next, 'Replace', { etag });
      } catch (error: unknown) {
        if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
        await contentionPause(attempt);
        continue;
      }
      await this.client.createEntity({ ...stateRow(entry, by), partitionKey: bucketOf(seq + 1), rowKey: seqKey(seq + 1), atMs: nowMs });
      return;
    }
    throw new Error('the change marker kept changing under concurrent writers');
  }

  /** Deletes state rows whose tokens have all expired and change-log rows older than `logRetentionMs`. */
  async removeExpired(nowSeconds: number, nowMs: number, logRetentionMs: number): Promise<number> {
    let removed = 0;
    for await (const row of this.client.listEntities<StoredRow & { atMs?: number }>()) {
      const expiredState = !row.partitionKey.startsWith('log-') && row.partitionKey !== MARKER.partitionKey && Number(row.expires) <= nowSeconds;
      const oldLog = row.partitionKey.startsWith('log-') && Number(row.atMs ?? 0) < nowMs - logRetentionMs;
      if (!expiredState && !oldLog) continue;
      await this.client.deleteEntity(row.partitionKey, row.rowKey);
      removed += 1;
    }
    return removed;
  }
}
