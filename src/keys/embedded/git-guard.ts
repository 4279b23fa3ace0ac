import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export type GitExposure = 'ignored' | 'outside-git' | 'exposed';

function git(cwd: string, args: string[]): boolean {
  try {
    execFileSync('git', ['-C', cwd, ...args], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the embedded key folder could end up in a commit: inside a git work tree and not
 * ignored. The folder holds sealed private keys and, unless LOCAL_KEYSTORE_SECRET is set, the
 * `.secret` that opens them. No git on the machine counts as outside git.
 */
export function gitExposure(dir: string): GitExposure {
  const absolute = resolve(dir);
  let probe = absolute;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  if (!git(probe, ['rev-parse', '--is-inside-work-tree'])) return 'outside-git';
  // A file inside: an ignore rule for a folder (`.keys/`) matches its files whether or not it exists yet.
  return git(probe, ['check-ignore', '-q', join(absolute, 'store.json')]) ? 'ignored' : 'exposed';
}
