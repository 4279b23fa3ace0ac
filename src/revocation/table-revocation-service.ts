import type { TableClient } from '@azure/data-tables';
import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import { ServiceError } from '../errors';
import type { RevocationHealth, RevocationService, RevocationSubject } from './revocation';
import { RevocationTable } from './revocation-table';
import { RevocationSnapshot, type RevocationEntry } from './revocation-view';

export interface TableRevocationOptions {
  client: TableClient;
  clock: Clock;
  logger: Logger;
  /** How long after `before` a subject/service-wide entry is kept: max TTL + skew (seconds). */
  coverSeconds: number;
  /** How often the change marker is polled (one point read). */
  syncIntervalMs: number;
  /** The whole table is re-read this often, as a safety net (and after any gap longer than the change log keeps). */
  fullReloadIntervalMs?: number;
  /** After an outage, the last good view is served this long; then verification answers 503. */
  maxStalenessMs: number;
}

/** Change-log rows are kept this long; an instance out of touch for longer re-reads everything. */
const LOG_RETENTION_MS = 2 * 3_600_000;
/** A change number whose log row has not appeared (its writer is between the two writes, or died there) is waited for this long. */
const GAP_WAIT_MS = 10_000;
/** Further behind than this many changes, a full read is cheaper than the log. */
const MAX_CHANGES_PER_READ = 5000;
/** Own writes are re-applied over full reads that began up to this long before them. */
const OWN_WRITE_MARGIN_MS = 60_000;
const DEFAULT_FULL_RELOAD_MS = 3_600_000;

/**
 * Revocations in Azure Table Storage (Azurite locally), with an in-memory view every instance
 * keeps in step:
 * - the steady-state cost is one point read a second (the change marker), whatever the number of
 *   rows; a change costs reading the few change-log rows written since; the whole table is re-read
 *   hourly as a safety net;
 * - it fails closed: until the first full read succeeds, and after storage has been out of reach
 *   for longer than `maxStalenessMs`, `isRevoked` throws `revocation_unavailable` (503) instead of
 *   answering "not revoked";
 * - an instance reads its own writes at once: a revocation is in its view before the call answers,
 *   and a full re-read that started before the write can not drop it.
 */
export class TableRevocationService implements RevocationService {
  private readonly table: RevocationTable;
  private snapshot = new RevocationSnapshot();
  private loaded = false;
  private lastCaughtUpMs: number | undefined;
  private lastFullReloadMs = Number.NEGATIVE_INFINITY;
  /** Every change numbered up to this has been applied (or waited for and passed over). */
  private seen = 0;
  private gapSinceMs: number | undefined;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  /** This instance's announcements, one at a time: they contend for the marker only with other instances. */
  private announcing: Promise<void> = Promise.resolve();
  /** This instance's own writes, re-applied over a full re-read that may have started before them. */
  private ownWrites: Array<{ entry: RevocationEntry; atMs: number }> = [];

  constructor(private readonly options: TableRevocationOptions) {
    this.table = new RevocationTable(options.client);
  }

  /** Entities read from storage so far (point reads included): the scaling benchmark's measure. */
  get entitiesRead(): number {
    return this.table.reads.entities;
  }

  /**
   * Makes sure the table exists (or is there already) and loads the view, waiting at most
   * `startTimeoutMs`: an unreachable table does not stop the app from starting, but verification
   * answers 503 until the first load succeeds. Keeps syncing in the background either way.
   */
  async start(startTimeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, startTimeoutMs);
    });
    const first = (async () => {
      await this.table.ensureTable();
      await this.sync();
    })().catch((error: unknown) => {
      this.options.logger.log('warn', 'revocation.start_failed', { error: error instanceof Error ? error.name : 'error' });
    });
    await Promise.race([first, deadline]);
    clearTimeout(timer);
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.options.syncIntervalMs);
    this.timer.unref();
  }

  isRevoked(token: RevocationSubject): boolean {
    if (!this.loaded) {
      throw new ServiceError('revocation_unavailable', 'The revocation list has not been loaded yet; no token is judged active before it is.', { retryAfterSeconds: 5 });
    }
    if (this.stalenessMs() > this.options.maxStalenessMs) {
      throw new ServiceError('revocation_unavailable', 'The revocation list is out of date (storage unreachable); no token is judged active until it is current again.', { retryAfterSeconds: 10 });
    }
    return this.snapshot.isRevoked(token);
  }

  /** Catches up with storage: a full read when due, else the change marker and, when it moved, the changes. */
  sync(): Promise<void> {
    this.syncing ??= this.catchUp().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async catchUp(): Promise<void> {
    const startedMs = this.options.clock.nowMs();
    try {
      const fullReloadDue = !this.loaded || startedMs - this.lastFullReloadMs >= (this.options.fullReloadIntervalMs ?? DEFAULT_FULL_RELOAD_MS);
      const outOfTouch = this.lastCaughtUpMs === undefined || startedMs - this.lastCaughtUpMs >= LOG_RETENTION_MS / 2;
      if (fullReloadDue || outOfTouch) await this.reloadAll(startedMs);
      else await this.readChanges(startedMs);
      this.lastCaughtUpMs = startedMs;
      this.lastError = undefined;
    } catch (error: unknown) {
      this.lastError = error instanceof Error ? error.name : 'error';
      throw error;
    }
  }

  private async reloadAll(startedMs: number): Promise<void> {
    // The number first, then the rows: every change up to it wrote its state row before taking it.
    const { seq } = await this.table.lastChange();
    const entries = await this.table.readAll();
    const now = nowSeconds(this.options.clock);
    const next = new RevocationSnapshot(entries.filter((e) => e.expires > now));
    // Writes of ours that this read may have missed (it began before they landed) stay in the view.
    this.ownWrites = this.ownWrites.filter((w) => w.atMs >= startedMs - OWN_WRITE_MARGIN_MS && w.entry.expires > now);
    for (const write of this.ownWrites) next.apply(write.entry);
    this.snapshot = next;
    this.seen = seq;
    this.gapSinceMs = undefined;
    this.lastFullReloadMs = startedMs;
    this.loaded = true;
  }

  /** One point read when nothing changed; otherwise exactly the change-log rows not seen yet. */
  private async readChanges(startedMs: number): Promise<void> {
    const { seq } = await this.table.lastChange();
    if (seq <= this.seen) return;
    if (seq - this.seen > MAX_CHANGES_PER_READ) return this.reloadAll(startedMs);
    const changes = await this.table.changesAfter(this.seen, seq);
    for (const change of changes) this.snapshot.apply(change.entry);
    const found = new Set(changes.map((c) => c.seq));
    let seen = this.seen;
    while (seen < seq && found.has(seen + 1)) seen += 1;
    if (seen < seq) {
      // A number without its row yet: wait a little for its writer, then pass over it (the next full read covers it).
      this.gapSinceMs ??= startedMs;
      if (startedMs - this.gapSinceMs >= GAP_WAIT_MS) {
        seen = Math.min(seq + 1, ...[...found].filter((n) => n > seen)) - 1;
        while (seen < seq && found.has(seen + 1)) seen += 1;
        this.gapSinceMs = undefined;
      }
    } else {
      this.gapSinceMs = undefined;
    }
    this.seen = seen;
  }

  private async record(entry: RevocationEntry, by: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
      const announced = this.announcing.then(() => this.table.announce(entry, this.options.clock.nowMs(), by));
      this.announcing = announced.catch(() => undefined);
      await announced;
    } catch (error: unknown) {
      throw new ServiceError('revocation_unavailable', 'The revocation store could not be reached; the revocation was not fully recorded. Retry: revoking twice is harmless.', { retryAfterSeconds: 5, cause: error });
    }
    // Read your own writes: in this instance's view before the call answers.
    this.snapshot.apply(entry);
    this.ownWrites.push({ entry, atMs: this.options.clock.nowMs() });
  }

  async revokeToken(jti: string, expires: number, by: string): Promise<void> {
    const entry: RevocationEntry = { kind: 'jti', jti, expires };
    await this.record(entry, by, () => this.table.addToken(entry, by));
  }

  async revokeSubject(sub: string, before: number, by: string): Promise<number> {
    let inForce = before;
    const entry: RevocationEntry = { kind: 'sub', sub, before, expires: before + this.options.coverSeconds };
    await this.record(entry, by, async () => {
      inForce = await this.table.raiseCutoff(entry, by);
    });
    return inForce;
  }

  async revokeAllBefore(before: number, by: string): Promise<number> {
    let inForce = before;
    const entry: RevocationEntry = { kind: 'all', before, expires: before + this.options.coverSeconds };
    await this.record(entry, by, async () => {
      inForce = await this.table.raiseCutoff(entry, by);
    });
    return inForce;
  }

  /** Deletes entries whose tokens have all expired, and old change-log rows (the cleanup timer). */
  removeExpired(): Promise<number> {
    return this.table.removeExpired(nowSeconds(this.options.clock), this.options.clock.nowMs(), LOG_RETENTION_MS);
  }

  private stalenessMs(): number {
    return this.lastCaughtUpMs === undefined ? Number.POSITIVE_INFINITY : this.options.clock.nowMs() - this.lastCaughtUpMs;
  }

  health(): RevocationHealth {
    const stalenessMs = this.lastCaughtUpMs === undefined ? undefined : this.stalenessMs();
    const ready = this.loaded && this.stalenessMs() <= this.options.maxStalenessMs;
    let detail = `${this.snapshot.size} active revocation(s)`;
    if (!this.loaded) detail = `not loaded yet: verification answers 503 until it is (storage error: ${this.lastError ?? 'none yet'})`;
    else if (!ready) detail = `out of date beyond ${Math.round(this.options.maxStalenessMs / 1000)} s: verification answers 503 (storage error: ${this.lastError ?? 'unknown'})`;
    else if (this.lastError) detail = `serving the last view; storage error: ${this.lastError}`;
    return { ready, stalenessMs, detail };
  }

  close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return Promise.resolve();
  }
}
