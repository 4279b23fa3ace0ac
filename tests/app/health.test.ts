import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHealthReport, encryptionKeyCheck, keyStoreCheck, revocationCheck, signingKeyCheck } from '../../src/app/health';
import { createServices, type Services } from '../../src/app/services';
import { silentLogger } from '../../src/audit';
import { localConfig } from '../support/config';

/**
 * The health report behind GET /api/health: each check on its own, and the overall status — the
 * worst check wins; a check that throws is failing, named by its error class only.
 */
let dir: string;
let services: Services;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-health-'));
  services = await createServices(localConfig({ LOCAL_KEYSTORE_DIR: dir, AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, REVOCATION_TABLE_NAME: `health${randomUUID().replace(/-/g, '').slice(0, 12)}` }), { logger: silentLogger });
});
afterAll(async () => {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

describe('the checks', () => {
  it('a fresh embedded app is healthy: every check ok', async () => {
    const report = await buildHealthReport(services);
    expect(report.status).toBe('healthy');
    expect(Object.entries(report.checks).map(([name, check]) => [name, check.status])).toEqual([
      ['keyStore', 'ok'],
      ['signingKey', 'ok'],
      ['revocation', 'ok'],
      ['rotation', 'ok'],
      ['encryptionKey', 'ok'],
      ['encryptionRotation', 'ok'],
    ]);
  });

  it('keyStore: failing before the ring was ever loaded, a warning while it serves cached keys after a failed refresh', () => {
    jest.spyOn(services.ring, 'health').mockReturnValue({ loaded: false, refreshes: 0, lastError: 'KeyStoreError/unavailable' });
    expect(keyStoreCheck(services)).toEqual({ status: 'failing', kind: 'embedded', detail: 'The key ring has not been loaded.', lastError: 'KeyStoreError/unavailable' });
    jest.spyOn(services.ring, 'health').mockReturnValue({ loaded: true, refreshes: 3, ageMs: 95_400, lastError: 'KeyStoreError/throttled' });
    expect(keyStoreCheck(services)).toMatchObject({ status: 'warning', ageSeconds: 95, lastError: 'KeyStoreError/throttled' });
    jest.spyOn(services.ring, 'health').mockReturnValue({ loaded: true, refreshes: 3, ageMs: 1_600 });
    expect(keyStoreCheck(services)).toEqual({ status: 'ok', kind: 'embedded', ageSeconds: 2 });
  });

  it('signingKey: names the active key, failing without one (signing answers 503)', () => {
    const active = services.ring.phases().find((p) => p.phase === 'active');
    expect(signingKeyCheck(services)).toEqual({ status: 'ok', kid: active?.version.kid, alg: 'RS256', activeSince: new Date((active?.activatesAt ?? 0) * 1000).toISOString() });
    jest.spyOn(services.ring, 'phases').mockReturnValue(services.ring.phases().map((p) => ({ ...p, phase: 'retired' as const })));
    expect(signingKeyCheck(services)).toMatchObject({ status: 'failing' });
  });

  it('encryptionKey: only a warning without an active key (plain tokens still work), and after a failed refresh', () => {
    expect(encryptionKeyCheck(services)).toMatchObject({ status: 'ok', alg: 'RSA-OAEP-256' });
    jest.spyOn(services.encryption.ring, 'health').mockReturnValue({ loaded: true, refreshes: 2, ageMs: 1000, lastError: 'KeyStoreError/unavailable' });
    expect(encryptionKeyCheck(services)).toMatchObject({ status: 'warning', lastError: 'KeyStoreError/unavailable' });
    jest.spyOn(services.encryption.ring, 'current').mockReturnValue(undefined);
    expect(encryptionKeyCheck(services)).toMatchObject({ status: 'warning', detail: 'No active encryption key: "encrypt": true answers 503.' });
  });

  it('revocation: failing when the view is not ready (verify answers 503), a warning on a storage error within the bound', () => {
    const service = services.revocationService;
    if (!service) throw new Error('the test app has a revocation table');
    jest.spyOn(service, 'health').mockReturnValue({ ready: false, stalenessMs: 600_400, detail: 'out of date' });
    expect(revocationCheck(services)).toEqual({ status: 'failing', stalenessSeconds: 600, detail: 'out of date' });
    jest.spyOn(service, 'health').mockReturnValue({ ready: true, stalenessMs: 2_000, detail: 'serving the last view; storage error: RestError' });
    expect(revocationCheck(services)).toMatchObject({ status: 'warning', stalenessSeconds: 2 });
    jest.spyOn(service, 'health').mockReturnValue({ ready: true, detail: '0 active revocation(s)' });
    expect(revocationCheck(services)).toEqual({ status: 'ok', stalenessSeconds: undefined, detail: '0 active revocation(s)' });
  });

  it('revocation: ok when no revocation store is configured', () => {
    expect(revocationCheck({ ...services, revocationService: undefined })).toEqual({ status: 'ok', detail: 'No revocation store configured.' });
  });
});

describe('buildHealthReport', () => {
  it('is unhealthy when any check fails, degraded when the worst is a warning', async () => {
    const report = (...statuses: Array<'ok' | 'warning' | 'failing'>): ReturnType<typeof buildHealthReport> =>
      buildHealthReport(services, Object.fromEntries(statuses.map((status, i) => [`check${i}`, () => ({ status })])));
    expect((await report('ok', 'ok')).status).toBe('healthy');
    expect((await report('ok', 'warning', 'ok')).status).toBe('degraded');
    expect((await report('warning', 'failing', 'ok')).status).toBe('unhealthy');
  });

  it('reports a check that throws as failing, by its error class only (messages can quote input)', async () => {
    const report = await buildHealthReport(services, {
      fine: () => ({ status: 'ok' }),
      broken: () => {
        throw new RangeError('secret-ish detail');
      },
      rejected: () => Promise.reject(new TypeError('another detail')),
    });
    expect(report).toEqual({ status: 'unhealthy', checks: { fine: { status: 'ok' }, broken: { status: 'failing', detail: 'RangeError' }, rejected: { status: 'failing', detail: 'TypeError' } } });
  });
});
