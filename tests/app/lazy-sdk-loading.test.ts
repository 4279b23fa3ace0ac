import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Cold start: with the embedded key store, loading every function and answering a verify must not
 * load the Key Vault SDKs or @azure/identity (about 150 ms of module loading together). Measured in
 * a fresh process over the compiled app, the way the host loads it.
 */
const APP_ROOT = resolve(__dirname, '..', '..');
const PROBE = `
  const { readdirSync } = require('node:fs');
  const { join } = require('node:path');
  const dist = process.argv[1];
  console.warn = () => undefined; // @azure/functions outside a host says it skips registration
  for (const file of readdirSync(join(dist, 'functions'))) if (file.endsWith('.js')) require(join(dist, 'functions', file));
  const { getServices, resetServices } = require(join(dist, 'src/app/services'));
  (async () => {
    const services = await getServices();
    const verdict = await services.verifier.verify('a.b.c');
    const loaded = Object.keys(require.cache).map((path) => (/node_modules\\/(@azure\\/[^/]+)/.exec(path) || [])[1]).filter(Boolean);
    process.stdout.write('\\nREPORT ' + JSON.stringify({ store: services.store.kind, verdict: verdict.error, loaded: [...new Set(loaded)].sort() }));
    await resetServices();
  })().catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

describe('SDK loading at start-up', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-lazy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps @azure/identity and the Key Vault SDKs off an embedded-store start and its verify path', () => {
    const env = {
      ...process.env,
      AUTH_MODE: 'none',
      LOCAL_KEYSTORE_DIR: dir,
      JWT_AUDIENCES: 'api://orders',
      JWT_ISSUER: 'https://jwt.example/api',
      AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '',
      KEY_VAULT_URL: '',
    };
    const run = spawnSync(process.execPath, ['-e', PROBE, join(APP_ROOT, 'dist')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    const line = run.stdout.split('\n').find((text) => text.startsWith('REPORT ')) ?? 'REPORT {}';
    const report = JSON.parse(line.slice('REPORT '.length)) as { store: string; verdict: string; loaded: string[] };
    expect(report.store).toBe('embedded');
    expect(report.verdict).toBe('malformed');
    expect(report.loaded).toContain('@azure/data-tables'); // the revocation view, read before the first verify
    for (const heavy of ['@azure/identity', '@azure/keyvault-keys', '@azure/keyvault-secrets', '@azure/msal-node']) expect(report.loaded).not.toContain(heavy);
  });
});
