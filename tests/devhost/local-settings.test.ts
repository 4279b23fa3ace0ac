import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLocalSettings } from '../../devhost/local-settings';

describe('local.settings.json for the embedded host', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (content: string): void => writeFileSync(join(dir, 'local.settings.json'), content);

  it('copies Values into the environment, letting variables already set win (even when empty)', () => {
    write(JSON.stringify({ IsEncrypted: false, Values: { JWT_ALG: 'ES256', PORT: '9000', AUTH_MODE: 'entra' } }));
    const env: NodeJS.ProcessEnv = { PORT: '7000', AUTH_MODE: '' };
    expect(applyLocalSettings(dir, env)).toEqual(['JWT_ALG']);
    expect(env).toEqual({ PORT: '7000', AUTH_MODE: '', JWT_ALG: 'ES256' });
  });

  it('is optional: no file, or no Values, applies nothing', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(applyLocalSettings(dir, env)).toEqual([]);
    write(JSON.stringify({ Host: { LocalHttpPort: 7071 } }));
    expect(applyLocalSettings(dir, env)).toEqual([]);
    expect(env).toEqual({});
  });

  it('stops with the file name, and never its content, when the file is malformed', () => {
    write('{ "Values": { "LOCAL_KEYSTORE_SECRET": "hunter2", }');
    let message = '';
    try {
      applyLocalSettings(dir, {});
    } catch (error: unknown) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toBe(`${join(dir, 'local.settings.json')} is not valid JSON.`);
    expect(message).not.toContain('hunter2');
  });

  it.each([
    ['[]', /must hold a JSON object/],
    ['{"Values": []}', /"Values" must be an object/],
    ['{"Values": {"PORT": 7071}}', /Values\.PORT must be a string/],
    ['{"IsEncrypted": true, "Values": {"A": "b"}}', /is encrypted.*func settings decrypt/],
  ])('refuses %s', (content, message) => {
    write(content);
    const env: NodeJS.ProcessEnv = {};
    expect(() => applyLocalSettings(dir, env)).toThrow(message);
    expect(env).toEqual({});
  });
});
