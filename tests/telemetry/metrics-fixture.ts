import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { ManualClock } from '../../src/clock';
import { createMetrics } from '../../src/telemetry/create-metrics';
import type { Metrics } from '../../src/telemetry/metrics';

/**
 * Shared by the telemetry tests: the Metrics port over a real OpenTelemetry SDK MeterProvider whose
 * reader exports to the SDK's in-memory exporter (what Application Insights would receive, names,
 * units and attributes), and one of every event the port has.
 */
export const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
export const ADMIN_OID = '7c1c1d4e-3b0e-4f5e-9a0b-2d9a7f1e0c11';
export const START_MS = Date.UTC(2026, 4, 1, 12, 0, 0);

export interface Harness {
  metrics: Metrics;
  collect(): Promise<MetricData[]>;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = await createMetrics(
    { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING },
    { clock: new ManualClock(START_MS), loadMeter: () => Promise.resolve({ meter: provider.getMeter('kv-jwt'), shutdown: () => provider.shutdown() }) },
  );
  return {
    metrics,
    collect: async () => {
      exporter.reset();
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    },
    close: () => metrics.shutdown(),
  };
}

export const metricNamed = (all: MetricData[], name: string): MetricData => {
  const found = all.find((metric) => metric.descriptor.name === name);
  if (!found) throw new Error(`no metric ${name} among ${all.map((m) => m.descriptor.name).join(', ')}`);
  return found;
};
export const points = (metric: MetricData): Array<{ attributes: Record<string, unknown>; value: unknown }> =>
  (metric.dataPoints as Array<DataPoint<unknown>>).map((point) => ({ attributes: { ...point.attributes }, value: point.value }));

/** Every event the port has, once or more, with realistic values. */
export function recordEverything(metrics: Metrics): void {
  metrics.tokenSigned({ alg: 'RS256', caller: ADMIN_OID });
  metrics.tokenSigned({ alg: 'RS256', caller: ADMIN_OID });
  metrics.tokenSigned({ alg: 'ES256', caller: 'local-developer' });
  metrics.signFailed({ alg: 'RS256', code: 'key_store_unavailable' });
  metrics.verifyAnswered({ outcome: 'active' });
  metrics.verifyAnswered({ outcome: 'expired' });
  metrics.verifyAnswered({ outcome: 'expired' });
  metrics.keyVaultCall({ operation: 'sign', outcome: 'ok', status: 200, durationSeconds: 0.042 });
  metrics.keyVaultCall({ operation: 'sign', outcome: 'throttled', status: 429, durationSeconds: 0.011 });
  metrics.keyVaultCall({ operation: 'list', outcome: 'timeout', durationSeconds: 5 });
  metrics.revoked({ kind: 'token' });
  metrics.revoked({ kind: 'subject' });
  metrics.revoked({ kind: 'all' });
  metrics.rotationRan({ key: 'sig', trigger: 'timer', outcome: 'unchanged' });
  metrics.rotationRan({ key: 'sig', trigger: 'timer', outcome: 'failed', code: 'key_store_forbidden' });
  metrics.rotationRan({ key: 'sig', trigger: 'emergency', outcome: 'created' });
  metrics.rotationRan({ key: 'enc', trigger: 'timer', outcome: 'unchanged' });
  metrics.keyPhaseChanged({ key: 'sig', from: 'announced', to: 'active' });
  metrics.keyPhaseChanged({ key: 'sig', from: 'none', to: 'announced' });
  metrics.keyPhaseChanged({ key: 'enc', from: 'announced', to: 'active' });
  metrics.observeRing(() => ({ keysByPhase: { announced: 1, active: 1, retired: 2, disabled: 5 }, activeKeyAgeSeconds: 7_000_000, successorAnnounced: true, refreshAgeSeconds: 42 }));
  metrics.observeRevocationView(() => 3);
}

