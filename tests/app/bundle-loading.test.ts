import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The deployed bundle (package.json `main`, made by scripts/bundle-app.mjs) loads lazily what the first verify
 * does not need: a fresh process registers the functions through the worker stand-in, answers a verify through
 * the registered handler with the library's own request objects, and reports which of the bundle's files it
 * loaded. An embedded-store start must not load the Key Vault / identity bundle, and no start without
 * APPLICATIONINSIGHTS_CONNECTION_STRING may load the Azure Monitor one; a Key Vault start (control) does load the
 * first, an Application Insights start (control) the second.
 */
const APP_ROOT = resolve(__dirname, '..', '..');
const PROBE = `
  const { join } = require('node:path');
  const root = process.argv[1];
  const standIn = require(join(root, 'dist/devhost/functions-core-standin.js'));
  standIn.installFunctionsCoreStandIn();
  require(join(root, require(join(root, 'package.json')).main));
  const { HttpRequest, InvocationContext } = require('@azure/functions');
  const verify = standIn.capturedFunctions.find((f) => f.metadata.name === 'verify');
  (async () => {
    const request = new HttpRequest({ method: 'POST', url: 'http://127.0.0.1/api/verify', headers: { host: '127.0.0.1', 'content-type': 'application/json' }, body: { string: JSON.stringify({ token: 'a.b.c' }) } });
    const response = await verify.handler(request, new InvocationContext({ functionName: 'verify', logHandler: () => undefined }));
    const loaded = Object.keys(require.cache).filter((path) => path.includes('/dist/app/')).map((path) => path.slice(path.indexOf('/dist/app/') + 1)).sort();
    const monitorPackages = Object.keys(require.cache).filter((path) => /node_modules\\/(@opentelemetry|@azure\\/monitor-)/.test(path));
    process.stdout.write('\\nREPORT ' + JSON.stringify({ status: response.status, body: response.body ?? response.jsonBody, loaded, monitorPackages: monitorPackages.length }));
    process.exit(0);
  })().catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

interface Report {
  status: number;
  body: unknown;
  loaded: string[];
  monitorPackages: number;
}

function probe(env: Record<string, string>): Report {
  const run = spawnSync(process.execPath, ['-e', PROBE, APP_ROOT], { cwd: APP_ROOT, env: { ...process.env, AUTH_MODE: 'none', APPLICATIONINSIGHTS_CONNECTION_STRING: '', ...env }, encoding: 'utf8', timeout: 60_000 });
  const line = run.stdout.split('\n').find((text) => text.startsWith('REPORT '));
  if (!line) throw new Error(`probe failed: ${run.stderr}`);
  return JSON.parse(line.slice('REPORT '.length)) as Report;
}

describe('the deployed bundle at start-up', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-bundle-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what package.json main names', () => {
    expect((JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { main: string }).main).toBe('dist/app/functions.js');
  });

  it('answers an embedded-store verify loading neither the Key Vault / identity bundle nor Azure Monitor', () => {
    const report = probe({ LOCAL_KEYSTORE_DIR: dir, KEY_VAULT_URL: '', JWT_AUDIENCES: 'api://orders', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '' });
    expect(report.status).toBe(200);
    expect(typeof report.body === 'string' ? JSON.parse(report.body) : report.body).toEqual({ active: false, error: 'malformed' });
    expect(report.loaded).toEqual(['dist/app/functions.js']);
    expect(report.monitorPackages).toBe(0);
  });

  it('(control) loads the Key Vault / identity bundle when Key Vault is configured', () => {
    const report = probe({ KEY_VAULT_URL: 'https://127.0.0.1:9/', KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true', AZURE_CLIENT_ID: '', IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi', IDENTITY_HEADER: 'x', JWT_AUDIENCES: 'api://orders', AzureWebJobsStorage: '' });
    expect(report.status).toBeGreaterThanOrEqual(500); // nothing answers there; the point is what it loaded
    expect(report.loaded).toEqual(['dist/app/azure-sdk.js', 'dist/app/functions.js']);
    expect(report.monitorPackages).toBe(0);
  });

  it('(control) loads the Azure Monitor bundle, and only it, when Application Insights is configured', () => {
    // Nothing listens at the ingestion endpoint: the point is what the metrics wiring loads.
    const connectionString = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/';
    const report = probe({ APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString, LOCAL_KEYSTORE_DIR: dir, KEY_VAULT_URL: '', JWT_AUDIENCES: 'api://orders', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '' });
    expect(report.status).toBe(200);
    expect(report.loaded).toEqual(['dist/app/azure-monitor.js', 'dist/app/functions.js']);
  });
});
