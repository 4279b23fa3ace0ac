import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/audit';
import { createEncryptionKeyStore, createKeyStore } from '../../../src/app/key-store-factory';
import { createServices } from '../../../src/app/services';
import { systemClock } from '../../../src/clock';
import { ConfigError } from '../../../src/errors';
import { gitExposure } from '../../../src/keys/embedded/git-guard';
import { localConfig } from '../../support/config';

describe('the embedded key folder is never committed', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'kvjwt-repo-'));
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, '.gitignore'), '.keys/\n');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('tells ignored, exposed and outside-git folders apart, existing or not', () => {
    expect(gitExposure(join(repo, '.keys'))).toBe('ignored');
    expect(gitExposure(join(repo, 'keys'))).toBe('exposed');
    expect(gitExposure(join(repo, 'deep', 'er', 'keys'))).toBe('exposed');
    expect(gitExposure(mkdtempSync(join(tmpdir(), 'kvjwt-nogit-')))).toBe('outside-git');
  });

  it('asks git whenever a .git is above the folder (a file in worktrees and submodules) or GIT_DIR names one, and only then', () => {
    const commit = ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '--allow-empty', '-q', '-m', 'base'];
    execFileSync('git', ['-C', repo, ...commit]);
    const worktree = join(mkdtempSync(join(tmpdir(), 'kvjwt-worktrees-')), 'tree');
    execFileSync('git', ['-C', repo, 'worktree', 'add', '-q', worktree]);
    expect(gitExposure(join(worktree, 'keys'))).toBe('exposed');
    const elsewhere = mkdtempSync(join(tmpdir(), 'kvjwt-gitdir-'));
    expect(gitExposure(join(elsewhere, 'keys'), { ...process.env, GIT_DIR: join(repo, '.git'), GIT_WORK_TREE: elsewhere })).toBe('exposed');
    expect(gitExposure(join(elsewhere, 'keys'), { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined })).toBe('outside-git');
  });

  it('refuses to create a key folder git would pick up, and warns at start for an existing one', async () => {
    const refusal = await createKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: join(repo, 'keys') }), systemClock, { log: () => undefined }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('LOCAL_KEYSTORE_DIR');
    mkdirSync(join(repo, 'old-keys'));
    const lines: string[] = [];
    const logger: Logger = { log: (_level, message) => lines.push(message) };
    await createKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: join(repo, 'old-keys') }), systemClock, logger);
    expect(lines).toContain('keys.folder_not_ignored');
    const quiet: string[] = [];
    await createKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: join(repo, '.keys') }), systemClock, { log: (_level, message) => quiet.push(message) });
    expect(quiet).toEqual([]);
  });

  it('holds for the encryption key\'s store too: the two stores open side by side, and neither creates the folder', async () => {
    const folder = join(repo, 'both-keys');
    const refusal = await createEncryptionKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: folder }), systemClock).catch((error: unknown) => error);
    expect((refusal as ConfigError).setting).toBe('LOCAL_KEYSTORE_DIR');
    const services = await createServices(localConfig({ LOCAL_KEYSTORE_DIR: folder }), { logger: { log: () => undefined } }).catch((error: unknown) => error);
    expect((services as ConfigError).setting).toBe('LOCAL_KEYSTORE_DIR');
    expect(existsSync(folder)).toBe(false);
    // An existing exposed folder: one warning per start (the signing store's), not one per store.
    const existing = join(repo, 'old-both-keys');
    mkdirSync(existing);
    const lines: string[] = [];
    await createEncryptionKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: existing }), systemClock);
    await createKeyStore(localConfig({ LOCAL_KEYSTORE_DIR: existing }), systemClock, { log: (_level, message) => lines.push(message) });
    expect(lines).toEqual(['keys.folder_not_ignored']);
  });
});
