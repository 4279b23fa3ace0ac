import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEncryptionKeyStore, createKeyStore, keyVaultAttemptRecorder } from '../../src/app/key-store-factory';
import { silentLogger } from '../../src/audit';
import { systemClock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { KeyVaultKeyStore } from '../../src/keys/keyvault/keyvault-key-store';
import { KeyVaultSecretStore } from '../../src/keys/keyvault/keyvault-secret-store';
import { createMetrics } from '../../src/telemetry/create-metrics';
import type { KeyVaultCall } from '../../src/telemetry/metrics';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';
import { localConfig } from '../support/config';

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

describe('createKeyStore / createEncryptionKeyStore', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-factory-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without KEY_VAULT_URL: the embedded store for the signing key (JWT_ALG) and for the encryption key (RSA-OAEP-256), in one folder', async () => {
    const config = localConfig({ LOCAL_KEYSTORE_DIR: dir, JWT_ALG: 'ES384', KEY_VAULT_URL: '' });
    const signing = await createKeyStore(config, systemClock, silentLogger);
    const encryption = await createEncryptionKeyStore(config, systemClock);
    expect([signing, encryption].map((store) => [store instanceof EmbeddedKeyStore, store.kind])).toEqual([[true, 'embedded'], [true, 'embedded']]);
    expect((await signing.createVersion({ notBefore: 0 })).alg).toBe('ES384');
    expect((await encryption.createVersion({ notBefore: 0 })).alg).toBe('RSA-OAEP-256');
  });
});

describe('createKeyStore / createEncryptionKeyStore with KEY_VAULT_URL (the Key Vault double)', () => {
  let vault: KeyVaultDouble;
  const saved = { IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: process.env.IDENTITY_HEADER };
  beforeAll(async () => {
    assertTestCaTrusted();
    vault = await startKeyVaultDouble();
    // The SDK's managed identity reads these from the process, as on App Service.
    process.env.IDENTITY_ENDPOINT = vault.identityEndpoint;
    process.env.IDENTITY_HEADER = vault.identityHeader;
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await vault.stop();
  });

  it('opens Key Vault keys for RS/PS/ES signing and for the encryption key, counting every attempt', async () => {
    const metrics = await createMetrics({});
    const config = localConfig({ ...vault.environment(uniqueKeyName('factory')), KEY_VAULT_CREATE_KEY: 'true' });
    const signing = await createKeyStore(config, systemClock, silentLogger, metrics);
    const encryption = await createEncryptionKeyStore(config, systemClock, metrics);
    expect([signing, encryption].map((store) => [store instanceof KeyVaultKeyStore, store.kind])).toEqual([[true, 'keyvault'], [true, 'keyvault']]);
    const attempts = metrics.snapshot().series.filter((series) => series.name === 'kvjwt.keyvault.call.duration');
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((series) => series.attributes['kvjwt.operation'] !== 'other')).toBe(true);
  });

  it('opens Key Vault secrets for HS*, where keys can not do HMAC', async () => {
    const config = localConfig({ ...vault.environment(uniqueKeyName('factory-hs')), JWT_ALG: 'HS256', KEY_VAULT_CREATE_KEY: 'true' });
    const signing = await createKeyStore(config, systemClock, silentLogger);
    expect([signing instanceof KeyVaultSecretStore, signing.kind]).toEqual([true, 'keyvault']);
    // The encryption key stays a Key Vault key, also in HS* mode.
    expect(await createEncryptionKeyStore(config, systemClock)).toBeInstanceOf(KeyVaultKeyStore);
  });
});

describe('keyVaultAttemptRecorder', () => {
  it('counts each attempt with its operation, outcome, status and duration in seconds', async () => {
    const metrics = await createMetrics({});
    const calls: KeyVaultCall[] = [];
    jest.spyOn(metrics, 'keyVaultCall').mockImplementation((call) => calls.push(call));
    const record = keyVaultAttemptRecorder(metrics);
    record({ operation: 'sign', status: 429, durationMs: 1500 });
    record({ operation: 'list', status: 200, durationMs: 42 });
    expect(calls).toEqual([
      { operation: 'sign', outcome: 'throttled', status: 429, durationSeconds: 1.5 },
      { operation: 'list', outcome: 'ok', status: 200, durationSeconds: 0.042 },
    ]);
  });
});
