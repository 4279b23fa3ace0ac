import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost, type StartHostOptions } from '../support/host';
import { postPaced, stallMidRequest } from './clients';

/** `node dist/devhost/main.js` as `npm start` runs it, with the real compiled functions. */
let keyDir: string;
const hosts: RunningHost[] = [];

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AUTH_MODE: 'none',
    LOCAL_KEYSTORE_DIR: keyDir,
    LOCAL_KEYSTORE_SECRET: 'main test secret',
    JWT_AUDIENCES: 'api://main-test',
    ...extra,
  };
}

async function start(extra: Record<string, string | undefined> = {}, options: StartHostOptions = {}): Promise<RunningHost> {
  const host = await startHost({ ...options, env: env(extra) });
  hosts.push(host);
  return host;
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolveLater) => setTimeout(resolveLater, 50));
  }
}

beforeAll(() => {
  keyDir = mkdtempSync(join(tmpdir(), 'kvjwt-main-'));
});

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
  rmSync(keyDir, { recursive: true, force: true });
});

describe('embedded host process', () => {
  it('prints the listening line, every function with its URL and the curl commands, bound to loopback', async () => {
    // HOST is ignored without caller authentication: AUTH_MODE=none must never leave loopback.
    const host = await start({ HOST: '0.0.0.0' });
    expect(host.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const logs = host.logs();
    for (const [name, route] of [
      ['sign', 'sign'],
      ['verify', 'verify'],
      ['jwks', '.well-known/jwks.json'],
      ['openidConfiguration', '.well-known/openid-configuration'],
      ['keys', 'keys'],
      ['rotateKeysNow', 'keys/rotate'],
      ['health', 'health'],
    ]) {
      expect(logs).toContain(`  ${name}: `);
      expect(logs).toContain(` ${host.baseUrl}/api/${route}\n`);
    }
    expect(logs).toContain('rotateKeys: timer, schedule "0 0 * * * *" UTC (from %ROTATION_SCHEDULE%)');
    expect(logs).toContain(`curl -s -X POST ${host.baseUrl}/api/sign -H 'Content-Type: application/json' -d '{"claims":{"sub":"demo","aud":"api://main-test"}}'`);
    expect(logs).toContain(`curl -s -X POST ${host.baseUrl}/api/verify`);
  });

  it('runs the app\'s appStart hook as the worker does: the services (here: the first key) are built before any request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-main-warm-'));
    try {
      const host = await start({ LOCAL_KEYSTORE_DIR: dir });
      const versions = join(dir, 'versions');
      await until(() => existsSync(versions) && readdirSync(versions).some((file) => file.endsWith('.json')));
      expect(host.logs()).not.toContain('"message":"http.request"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the real functions with 404 and 405 (+Allow) around them', async () => {
    const host = await start();
    expect((await fetch(`${host.baseUrl}/api/health`)).status).toBe(200);
    expect((await fetch(`${host.baseUrl}/api/nope`)).status).toBe(404);
    const wrong = await fetch(`${host.baseUrl}/api/sign`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('runs the rotation timer on its schedule and stops cleanly (exit 0) on SIGTERM', async () => {
    const host = await start({ ROTATION_SCHEDULE: '*/2 * * * * *' });
    await until(() => /"message":"timer.completed","function":"rotateKeys"/.test(host.logs()));
    await host.stop();
    expect(await host.exited).toEqual({ code: 0, signal: null });
    expect(host.logs()).toContain('"message":"host.stopping","signal":"SIGTERM"');
  });

  it('exits 1 naming the setting when the configuration is invalid', async () => {
    await expect(startHost({ env: env({ JWT_ALG: 'none' }) })).rejects.toThrow(/code 1[\s\S]*kv-jwt host failed to start: JWT_ALG: "none" is not supported/);
  });

  it('exits 1 naming the function and setting when the timer schedule cannot be parsed', async () => {
    await expect(startHost({ env: env({ ROTATION_SCHEDULE: '0 0 25 * * *' }) })).rejects.toThrow(
      /code 1[\s\S]*failed to start: Timer function rotateKeys \(schedule %ROTATION_SCHEDULE%\)/,
    );
  });

  it('exits 1 when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', () => resolveListen()));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(startHost({ env: env({ PORT: String(port) }) })).rejects.toThrow(/code 1[\s\S]*failed to start: .*EADDRINUSE/);
    } finally {
      await new Promise<void>((resolveClose) => blocker.close(() => resolveClose()));
    }
  });
});

/** The review's security items, each over real sockets against the host process. */
describe('embedded host process, hardened', () => {
  const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJsZWFrZWQtc3ViamVjdCJ9.bGVha2VkLXNpZ25hdHVyZS1ieXRlcw';

  it('runs an app with AUTH_MODE=none set in its environment when nothing set it, bound to loopback whatever HOST says', async () => {
    const host = await start({ AUTH_MODE: undefined, HOST: '0.0.0.0' }, { cwd: join(__dirname, '..', 'fixtures', 'devhost-env') });
    expect(host.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${host.baseUrl}/api/auth-mode`)).json()).toEqual({ authMode: 'none' });
  });

  it('never writes a token found in a request path into its output', async () => {
    const host = await start();
    expect((await fetch(`${host.baseUrl}/api/verify/${JWT}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.baseUrl}/${JWT}?token=${JWT}`)).status).toBe(404);
    expect((await fetch(`${host.baseUrl}/api/keys/${JWT}`)).status).toBe(404);
    await host.stop();
    for (const part of JWT.split('.')) expect(host.logs()).not.toContain(part);
    for (const path of ['/api/verify/…', '/…', '/api/keys/…']) expect(host.logs()).toContain(`"path":"${path}","status":404`);
  });

  it('lets a client that writes 2 MB before reading get the 413 problem document', async () => {
    const host = await start();
    for (let i = 0; i < 3; i += 1) {
      const answer = await postPaced(host.port, '/api/sign', 2 * 1024 * 1024);
      expect(answer).toEqual({ status: 413, body: expect.stringContaining('"code":"payload_too_large"') });
    }
  });

  it('cuts a client that stalls mid-request after DEVHOST_REQUEST_TIMEOUT_MS', async () => {
    const host = await start({ DEVHOST_REQUEST_TIMEOUT_MS: '1000' });
    const started = Date.now();
    const answer = await stallMidRequest(host.port, 'POST /api/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n{"claims":');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
