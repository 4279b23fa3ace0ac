import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Mutual exclusion for rotation runs: in-process always, across processes where the store allows. */
export interface RotationLock {
  /** Runs `work` while holding the lock; returns undefined without running when it is held elsewhere. */
  withLock<T>(work: () => Promise<T>): Promise<T | undefined>;
}

/** One rotation at a time inside this process (timer and admin endpoint share it). */
export class ProcessLock implements RotationLock {
  private held = false;
  async withLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.held) return undefined;
    this.held = true;
    try {
      return await work();
    } finally {
      this.held = false;
    }
  }
}

/**
 * Processes sharing an embedded key store folder: a lock file created with O_EXCL. A lock older than
 * `staleMs` belonged to a process that died mid-run and is taken over.
 */
export class FileLock implements RotationLock {
  private readonly inProcess = new ProcessLock();
  private readonly path: string;

  constructor(dir: string, private readonly staleMs: number, private readonly nowMs: () => number) {
    this.path = join(dir, 'rotation.lock');
  }

  withLock<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.inProcess.withLock(async () => {
      const token = randomBytes(8).toString('hex');
      if (!this.acquire(token)) return undefined;
      try {
        return await work();
      } finally {
        this.release(token);
      }
    });
  }

  private acquire(token: string): boolean {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, token);
        closeSync(fd);
        return true;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const stat = statSync(this.path, { throwIfNoEntry: false });
        if (stat && this.nowMs() - stat.mtimeMs <= this.staleMs) return false;
        rmSync(this.path, { force: true });
      }
    }
    return false;
  }

  private release(token: string): void {
    try {
      if (readFileSync(this.path, 'utf8') === token) rmSync(this.path, { force: true });
    } catch {
      // Already gone (taken over as stale): nothing to release.
    }
  }
}
