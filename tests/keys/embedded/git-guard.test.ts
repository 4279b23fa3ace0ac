import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/audit';
import { createKeyStore } from '../../../src/app/key-store-factory';
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
});
