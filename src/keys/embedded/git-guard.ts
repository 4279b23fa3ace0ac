import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export type GitExposure = 'ignored' | 'outside-git' | 'exposed';

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync('git', ['-C', cwd, ...args], { stdio: 'ignore', timeout: 5000, env });
    return true;
  } catch {
    return false;
  }
}

function hasGitAbove(folder: string): boolean {
  for (let current = folder; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return true;
    if (dirname(current) === current) return false;
  }
}

/**
 * Whether the embedded key folder could end up in a commit: inside a git work tree and not
 * ignored. The folder holds sealed private keys and, unless LOCAL_KEYSTORE_SECRET is set, the
 * `.secret` that opens them. No git on the machine counts as outside git.
 */
export function gitExposure(dir: string, env: NodeJS.ProcessEnv = process.env): GitExposure {
  const absolute = resolve(dir);
  let probe = absolute;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  // No `.git` (a folder, or a file for worktrees and submodules) above the folder and no GIT_DIR: not in a
  // work tree, known without starting git (two git processes cost ~13 ms of every start).
  if (!env.GIT_DIR && !hasGitAbove(probe)) return 'outside-git';
  if (!git(probe, ['rev-parse', '--is-inside-work-tree'], env)) return 'outside-git';
  // A file inside: an ignore rule for a folder (`.keys/`) matches its files whether or not it exists yet.
  return git(probe, ['check-ignore', '-q', join(absolute, 'store.json')], env) ? 'ignored' : 'exposed';
}
