import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createMetrics, type MeterSource } from '../../src/telemetry/create-metrics';
import { CONNECTION_STRING, harness } from './metrics-fixture';

/**
 * A local start (no APPLICATIONINSIGHTS_CONNECTION_STRING) must load nothing of OpenTelemetry or the
 * Azure Monitor distro (about 1,900 modules and seconds of loading on this VM). Proved in a fresh
 * process over the compiled module, as tests/app/key-store-factory.test.ts does for the Key Vault
 * SDKs; a control run shows the probe does see the distro when its module is loaded.
 */
const APP_ROOT = resolve(__dirname, '..', '..');
const PROBE = `
  const { join } = require('node:path');
  const dist = process.argv[1];
  const mode = process.argv[2];
  (async () => {
    let series = 0;
    if (mode === 'local') {
      const { createMetrics } = require(join(dist, 'src/telemetry/create-metrics.js'));
      const metrics = await createMetrics({});
      metrics.tokenSigned({ alg: 'RS256', caller: 'local-developer' });
      metrics.verifyAnswered({ outcome: 'active' });
      metrics.keyVaultCall({ operation: 'sign', outcome: 'ok', status: 200, durationSeconds: 0.01 });
      metrics.observeRing(() => undefined);
      series = metrics.snapshot().series.length;
    } else {
      require(join(dist, 'src/telemetry/azure-monitor.js')); // loaded, never started: starting it probes the network
    }
    const packages = Object.keys(require.cache)
      .map((path) => (/.*node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(path) || [])[1])
      .filter((name) => name && (name.startsWith('@opentelemetry/') || name.startsWith('@azure/monitor-') || name === '@azure/identity'));
    process.stdout.write('\\nREPORT ' + JSON.stringify({ series, loaded: [...new Set(packages)].sort() }));
  })().catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

function probe(mode: 'local' | 'control'): { series: number; loaded: string[] } {
  const env = { ...process.env, APPLICATIONINSIGHTS_CONNECTION_STRING: '' };
  const run = spawnSync(process.execPath, ['-e', PROBE, join(APP_ROOT, 'dist'), mode], { env, encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  const line = run.stdout.split('\n').find((text) => text.startsWith('REPORT ')) ?? 'REPORT {}';
  return JSON.parse(line.slice('REPORT '.length)) as { series: number; loaded: string[] };
}

describe('telemetry SDK loading', () => {
  it('createMetrics({}) counts in process and loads no OpenTelemetry or Azure Monitor module', () => {
    const report = probe('local');
    expect(report.series).toBe(3);
    expect(report.loaded).toEqual([]);
  });

  it('(control) the probe sees the distro and the OpenTelemetry SDK when the exporter module is loaded', () => {
    const report = probe('control');
    expect(report.loaded).toEqual(expect.arrayContaining(['@azure/monitor-opentelemetry', '@azure/monitor-opentelemetry-exporter', '@opentelemetry/api', '@opentelemetry/sdk-metrics']));
  });
});

describe('createMetrics', () => {
  it('starts no exporter for a connection string of blanks, and hands a real one the whole environment', async () => {
    const loadMeter = jest.fn((): Promise<MeterSource> => Promise.reject(new Error('not started in this test')));
    await createMetrics({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }, { loadMeter });
    expect(loadMeter).not.toHaveBeenCalled();
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' };
    await createMetrics(env, { loadMeter });
    expect(loadMeter).toHaveBeenCalledWith(env);
  });

  it('records every event both in the counters since start and through OpenTelemetry, and shuts the exporter down with it', async () => {
    const h = await harness();
    h.metrics.verifyAnswered({ outcome: 'expired' });
    expect(h.metrics.snapshot().series).toEqual([{ name: 'kvjwt.verify.answers', attributes: { 'kvjwt.outcome': 'expired' }, count: 1 }]);
    expect((await h.collect()).map((metric) => metric.descriptor.name)).toContain('kvjwt.verify.answers');
    await h.close();
    const shutdown = jest.fn(() => Promise.resolve());
    const metrics = await createMetrics({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING }, { loadMeter: () => Promise.resolve({ meter: new MeterProvider().getMeter('kv-jwt'), shutdown }) });
    await metrics.shutdown();
    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('keeps counting when the exporter can not start, and logs only the error class', async () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const metrics = await createMetrics(
      { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING },
      { logger: { log: (_level, message, fields) => lines.push([message, fields]) }, loadMeter: () => Promise.reject(new TypeError(`bad ${CONNECTION_STRING}`)) },
    );
    metrics.verifyAnswered({ outcome: 'active' });
    expect(metrics.snapshot().series).toHaveLength(1);
    expect(lines).toEqual([['telemetry.start_failed', { error: 'TypeError' }]]);
  });
});
