import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/**
 * A local start (no APPLICATIONINSIGHTS_CONNECTION_STRING) must load nothing of OpenTelemetry or the
 * Azure Monitor distro (about 1,900 modules and seconds of loading on this VM). Proved in a fresh
 * process over the compiled module, as tests/app/lazy-sdk-loading.test.ts does for the Key Vault
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
