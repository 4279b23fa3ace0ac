import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLock, ProcessLock, type RotationLock } from '../../src/rotation/lock';

/** One rotation at a time: inside a process, and across processes sharing an embedded key folder. */
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-lock-'));
  dirs.push(dir);
  return dir;
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** While `holder` runs its work, what `other` answers; then whether the lock is free again. */
async function whileHeld(holder: RotationLock, other: RotationLock): Promise<{ held: string | undefined; first: string | undefined; after: string | undefined }> {
  const release = gate();
  const first = holder.withLock(async () => {
    await release.opened;
    return 'first';
  });
  const held = await other.withLock(() => Promise.resolve('second'));
  release.open();
  return { held, first: await first, after: await other.withLock(() => Promise.resolve('after')) };
}

describe('ProcessLock', () => {
  it('runs one piece of work at a time: another caller meanwhile gets undefined, without its work running', async () => {
    const lock = new ProcessLock();
    expect(await whileHeld(lock, lock)).toEqual({ held: undefined, first: 'first', after: 'after' });
  });

  it('is free again after work that failed, and passes the failure on', async () => {
    const lock = new ProcessLock();
    await expect(lock.withLock(() => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await lock.withLock(() => Promise.resolve(1))).toBe(1);
  });
});

describe('FileLock', () => {
  const never = (): number => 0;

  it('lets one of two processes sharing a folder rotate at a time, and removes its lock file afterwards', async () => {
    const dir = tempDir();
    const now = () => Date.now();
    expect(await whileHeld(new FileLock(dir, 60_000, now), new FileLock(dir, 60_000, now))).toEqual({ held: undefined, first: 'first', after: 'after' });
    expect(existsSync(join(dir, 'rotation.lock'))).toBe(false);
  });

  it('also excludes a second run in the same process', async () => {
    const lock = new FileLock(tempDir(), 60_000, () => Date.now());
    expect(await whileHeld(lock, lock)).toEqual({ held: undefined, first: 'first', after: 'after' });
  });

  it('removes its lock file after work that failed', async () => {
    const dir = tempDir();
    await expect(new FileLock(dir, 60_000, never).withLock(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(join(dir, 'rotation.lock'))).toBe(false);
  });

  it('takes over a lock older than staleMs (its process died mid-run), not a younger one', async () => {
    const dir = tempDir();
    const path = join(dir, 'rotation.lock');
    writeFileSync(path, 'dead-process');
    const written = statSync(path).mtimeMs;
    expect(await new FileLock(dir, 60_000, () => written + 60_000).withLock(() => Promise.resolve('ran'))).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe('dead-process');
    expect(await new FileLock(dir, 60_000, () => written + 60_001).withLock(() => Promise.resolve('ran'))).toBe('ran');
    expect(existsSync(path)).toBe(false);
  });

  it('leaves alone a lock that another process took over from it while it ran', async () => {
    const dir = tempDir();
    const path = join(dir, 'rotation.lock');
    const result = await new FileLock(dir, 60_000, never).withLock(() => {
      writeFileSync(path, 'the-process-that-took-over');
      return Promise.resolve('ran');
    });
    expect(result).toBe('ran');
    expect(readFileSync(path, 'utf8')).toBe('the-process-that-took-over');
  });
});
