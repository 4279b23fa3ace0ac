import { TableClient, type TableEntity } from '@azure/data-tables';
import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import { ServiceError } from '../errors';
import type { RevocationHealth, RevocationService, RevocationSubject } from './revocation';
import { RevocationSnapshot, type RevocationEntry } from './revocation-view';

interface StoredRevocation {
  partitionKey: string;
  rowKey: string;
  before?: number;
  expires: number;
  by: string;
}

export interface TableRevocationOptions {
  client: TableClient;
  clock: Clock;
  logger: Logger;
  /** How long after `before` a subject/service-wide entry is kept: max TTL + skew (seconds). */
  coverSeconds: number;
  /** How often the in-memory view is re-read from the table. */
  syncIntervalMs: number;
}

/** RowKeys can not hold '/', '\\', '#', '?' or control characters: subjects are stored base64url-encoded. */
function subjectKey(sub: string): string {
  return Buffer.from(sub).toString('base64url');
}

function toEntry(entity: TableEntity<StoredRevocation>): RevocationEntry | undefined {
  const expires = Number(entity.expires);
  if (entity.partitionKey === 'jti') return { kind: 'jti', jti: entity.rowKey, expires };
  if (entity.partitionKey === 'sub') return { kind: 'sub', sub: Buffer.from(entity.rowKey, 'base64url').toString(), before: Number(entity.before), expires };
  if (entity.partitionKey === 'all') return { kind: 'all', before: Number(entity.before), expires };
  return undefined;
}

/**
 * Revocations in Azure Table Storage (Azurite locally), with an in-memory view re-read every
 * second: every instance honours a revocation within a couple of seconds, a restart loses nothing,
 * and verification never waits on storage. If the table is unreachable the last view keeps
 * serving and health reports how stale it is (a deliberate choice: availability over a few more
 * seconds of a stolen token that is short-lived anyway).
 */
export class TableRevocationService implements RevocationService {
  private snapshot = new RevocationSnapshot();
  private lastSyncMs: number | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(private readonly options: TableRevocationOptions) {}

  /**
   * Creates the table if needed and loads the view before serving (a restart must not forget a
   * revocation), but waits at most `startTimeoutMs`: an unreachable table degrades to a warning in
   * health, not to an app that never starts. Keeps syncing in the background either way.
   */
  async start(startTimeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('revocation store start timed out')), startTimeoutMs);
    });
    try {
      await Promise.race([(async () => {
        await this.options.client.createTable();
        await this.sync();
      })(), deadline]);
    } catch (error: unknown) {
      this.lastError = error instanceof Error ? error.name : 'error';
      this.options.logger.log('warn', 'revocation.start_failed', { error: this.lastError });
    } finally {
      clearTimeout(timer);
    }
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.options.syncIntervalMs);
    this.timer.unref();
  }

  isRevoked(token: RevocationSubject): boolean {
    return this.snapshot.isRevoked(token);
  }

  /** Re-reads every unexpired entry (entries expire with the tokens they cover, so the table stays small). */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const now = nowSeconds(this.options.clock);
        const entries: RevocationEntry[] = [];
        // Filtered here rather than with OData: `expires` may be stored as Int32, Int64 or Double
        // depending on the writer, and typed comparisons differ between Azure and Azurite.
        for await (const entity of this.options.client.listEntities<StoredRevocation>()) {
          const entry = toEntry(entity);
          if (entry && entry.expires > now) entries.push(entry);
        }
        this.snapshot = new RevocationSnapshot(entries);
        this.lastSyncMs = this.options.clock.nowMs();
        this.lastError = undefined;
      } catch (error: unknown) {
        this.lastError = error instanceof Error ? error.name : 'error';
        throw error;
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async write(entity: StoredRevocation): Promise<void> {
    try {
      await this.options.client.upsertEntity(entity, 'Replace');
    } catch (error: unknown) {
      throw new ServiceError('revocation_unavailable', 'The revocation store could not be reached; the revocation was not recorded.', { retryAfterSeconds: 5, cause: error });
    }
    await this.sync().catch(() => undefined);
  }

  revokeToken(jti: string, expires: number, by: string): Promise<void> {
    return this.write({ partitionKey: 'jti', rowKey: jti, expires, by });
  }

  revokeSubject(sub: string, before: number, by: string): Promise<void> {
    return this.write({ partitionKey: 'sub', rowKey: subjectKey(sub), before, expires: before + this.options.coverSeconds, by });
  }

  revokeAllBefore(before: number, by: string): Promise<void> {
    return this.write({ partitionKey: 'all', rowKey: 'all', before, expires: before + this.options.coverSeconds, by });
  }

  /** Deletes entries whose tokens have all expired (the cleanup timer). Returns how many. */
  async removeExpired(): Promise<number> {
    const now = nowSeconds(this.options.clock);
    let removed = 0;
    for await (const entity of this.options.client.listEntities<StoredRevocation>()) {
      if (Number(entity.expires) > now) continue;
      await this.options.client.deleteEntity(entity.partitionKey, entity.rowKey);
      removed += 1;
    }
    return removed;
  }

  health(): RevocationHealth {
    const stalenessMs = this.lastSyncMs === undefined ? undefined : this.options.clock.nowMs() - this.lastSyncMs;
    const ready = this.lastSyncMs !== undefined && this.lastError === undefined;
    return {
      ready,
      stalenessMs,
      detail: ready ? `${this.snapshot.size} active revocation(s)` : `serving the last view; storage error: ${this.lastError ?? 'not loaded yet'}`,
    };
  }

  close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return Promise.resolve();
  }
}
