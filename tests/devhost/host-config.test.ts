import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLocalSettings, bindAddress, explicitAuthMode, requestedPort, requestTimeoutMs, routePrefix } from '../../devhost/host-config';

describe('embedded host configuration', () => {
  it('reads the route prefix from host.json like the Functions host (default api)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-hostjson-'));
    try {
      expect(routePrefix(dir)).toBe('api');
      writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0' }));
      expect(routePrefix(dir)).toBe('api');
      writeFileSync(join(dir, 'host.json'), JSON.stringify({ extensions: { http: { routePrefix: '' } } }));
      expect(routePrefix(dir)).toBe('');
      writeFileSync(join(dir, 'host.json'), JSON.stringify({ extensions: { http: { routePrefix: '/v1/' } } }));
      expect(routePrefix(dir)).toBe('v1');
      writeFileSync(join(dir, 'host.json'), '{');
      expect(() => routePrefix(dir)).toThrow(/host\.json is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the repository host.json prefix', () => {
    expect(routePrefix(join(__dirname, '..', '..'))).toBe('api');
  });

  it('binds loopback unless callers are authenticated (AUTH_MODE=entra) and HOST asks otherwise', () => {
    expect(bindAddress({})).toBe('127.0.0.1');
    expect(bindAddress({ HOST: '0.0.0.0' })).toBe('127.0.0.1');
    expect(bindAddress({ AUTH_MODE: 'none', HOST: '0.0.0.0' })).toBe('127.0.0.1');
    expect(bindAddress({ AUTH_MODE: 'NONE ', HOST: '0.0.0.0' })).toBe('127.0.0.1');
    expect(bindAddress({ AUTH_MODE: 'entra' })).toBe('127.0.0.1');
    expect(bindAddress({ AUTH_MODE: 'entra', HOST: '0.0.0.0' })).toBe('0.0.0.0');
  });

  it('takes PORT (default 7071, 0 for any free port) and refuses anything else', () => {
    expect(requestedPort({})).toBe(7071);
    expect(requestedPort({ PORT: ' ' })).toBe(7071);
    expect(requestedPort({ PORT: '0' })).toBe(0);
    expect(requestedPort({ PORT: '8080' })).toBe(8080);
    for (const bad of ['-1', '65536', 'http', '80.5']) expect(() => requestedPort({ PORT: bad })).toThrow(/^PORT: /);
  });

  it('sets AUTH_MODE=none in the environment when nothing set it, and leaves a chosen mode alone', () => {
    for (const unset of [{}, { AUTH_MODE: '' }, { AUTH_MODE: '  ' }] as NodeJS.ProcessEnv[]) {
      explicitAuthMode(unset);
      expect(unset.AUTH_MODE).toBe('none');
    }
    for (const mode of ['entra', 'none']) {
      const env: NodeJS.ProcessEnv = { AUTH_MODE: mode };
      explicitAuthMode(env);
      expect(env.AUTH_MODE).toBe(mode);
    }
  });

  it('cuts a stalled request after DEVHOST_REQUEST_TIMEOUT_MS (default 20 s, never above 30 s)', () => {
    expect(requestTimeoutMs({})).toBe(20_000);
    expect(requestTimeoutMs({ DEVHOST_REQUEST_TIMEOUT_MS: '500' })).toBe(500);
    for (const bad of ['0', '99', '30001', '300000', 'soon']) expect(() => requestTimeoutMs({ DEVHOST_REQUEST_TIMEOUT_MS: bad })).toThrow(/^DEVHOST_REQUEST_TIMEOUT_MS: /);
  });
});


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
