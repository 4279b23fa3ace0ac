import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { ManualClock } from '../../src/clock';
import { MAX_SERIES_PER_INSTRUMENT } from '../../src/telemetry/counter-sink';
import { createMetrics } from '../../src/telemetry/create-metrics';
import { INSTRUMENTS, type Metrics } from '../../src/telemetry/metrics';
import { KEYVAULT_DURATION_BUCKETS } from '../../src/telemetry/otel-sink';
import { findSecretLeaks } from '../support/secret-scan';

/**
 * The Metrics port over a real OpenTelemetry SDK MeterProvider whose reader exports to the SDK's
 * in-memory exporter: what Application Insights would receive, names, units and attributes.
 */
const CONNECTION_STRING = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/';
const ADMIN_OID = '7c1c1d4e-3b0e-4f5e-9a0b-2d9a7f1e0c11';
const START_MS = Date.UTC(2026, 4, 1, 12, 0, 0);

interface Harness {
  metrics: Metrics;
  collect(): Promise<MetricData[]>;
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
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

const metricNamed = (all: MetricData[], name: string): MetricData => {
  const found = all.find((metric) => metric.descriptor.name === name);
  if (!found) throw new Error(`no metric ${name} among ${all.map((m) => m.descriptor.name).join(', ')}`);
  return found;
};
const points = (metric: MetricData): Array<{ attributes: Record<string, unknown>; value: unknown }> =>
  (metric.dataPoints as Array<DataPoint<unknown>>).map((point) => ({ attributes: { ...point.attributes }, value: point.value }));

/** Every event the port has, once or more, with realistic values. */
function recordEverything(metrics: Metrics): void {
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

describe('metrics through OpenTelemetry (in-memory exporter)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(() => h.close());

  it('creates every instrument with its name, type, unit and description', async () => {
    recordEverything(h.metrics);
    const exported = await h.collect();
    const expectedType = { counter: DataPointType.SUM, histogram: DataPointType.HISTOGRAM, gauge: DataPointType.GAUGE };
    for (const instrument of Object.values(INSTRUMENTS)) {
      const metric = metricNamed(exported, instrument.name);
      expect({ name: metric.descriptor.name, unit: metric.descriptor.unit, description: metric.descriptor.description, type: metric.dataPointType }).toEqual({
        name: instrument.name,
        unit: instrument.unit,
        description: instrument.description,
        type: expectedType[instrument.kind],
      });
    }
    expect(exported.map((metric) => metric.descriptor.name).sort()).toEqual(Object.values(INSTRUMENTS).map((i) => i.name).sort());
  });

  it('records the counters with their attributes', async () => {
    recordEverything(h.metrics);
    const exported = await h.collect();
    expect(points(metricNamed(exported, 'kvjwt.tokens.signed'))).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvjwt.alg': 'RS256', 'kvjwt.caller': ADMIN_OID }, value: 2 },
        { attributes: { 'kvjwt.alg': 'ES256', 'kvjwt.caller': 'local-developer' }, value: 1 },
      ]),
    );
    expect(points(metricNamed(exported, 'kvjwt.sign.failures'))).toEqual([{ attributes: { 'kvjwt.alg': 'RS256', 'error.type': 'key_store_unavailable' }, value: 1 }]);
    expect(points(metricNamed(exported, 'kvjwt.verify.answers'))).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvjwt.outcome': 'active' }, value: 1 },
        { attributes: { 'kvjwt.outcome': 'expired' }, value: 2 },
      ]),
    );
    expect(points(metricNamed(exported, 'kvjwt.revocations')).map((p) => p.attributes['kvjwt.revocation.kind']).sort()).toEqual(['all', 'subject', 'token']);
    expect(points(metricNamed(exported, 'kvjwt.rotations'))).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.rotation.trigger': 'timer', 'kvjwt.outcome': 'unchanged' }, value: 1 },
        { attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.rotation.trigger': 'timer', 'kvjwt.outcome': 'failed', 'error.type': 'key_store_forbidden' }, value: 1 },
        { attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.rotation.trigger': 'emergency', 'kvjwt.outcome': 'created' }, value: 1 },
        { attributes: { 'kvjwt.key.use': 'enc', 'kvjwt.rotation.trigger': 'timer', 'kvjwt.outcome': 'unchanged' }, value: 1 },
      ]),
    );
    expect(points(metricNamed(exported, 'kvjwt.key.phase_changes'))).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.key.phase.from': 'announced', 'kvjwt.key.phase.to': 'active' }, value: 1 },
        { attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.key.phase.from': 'none', 'kvjwt.key.phase.to': 'announced' }, value: 1 },
        { attributes: { 'kvjwt.key.use': 'enc', 'kvjwt.key.phase.from': 'announced', 'kvjwt.key.phase.to': 'active' }, value: 1 },
      ]),
    );
  });

  it('records Key Vault attempts as a duration histogram by operation, outcome and status', async () => {
    recordEverything(h.metrics);
    const metric = metricNamed(await h.collect(), 'kvjwt.keyvault.call.duration');
    const byOutcome = Object.fromEntries(
      (metric.dataPoints as Array<DataPoint<{ count: number; sum?: number; buckets: { boundaries: number[] } }>>).map((point) => [String(point.attributes['kvjwt.outcome']), point]),
    );
    expect(byOutcome.ok.attributes).toEqual({ 'kvjwt.operation': 'sign', 'kvjwt.outcome': 'ok', 'http.response.status_code': 200 });
    expect(byOutcome.throttled.attributes).toEqual({ 'kvjwt.operation': 'sign', 'kvjwt.outcome': 'throttled', 'http.response.status_code': 429 });
    expect(byOutcome.timeout.attributes).toEqual({ 'kvjwt.operation': 'list', 'kvjwt.outcome': 'timeout' });
    expect(byOutcome.ok.value.count).toBe(1);
    expect(byOutcome.ok.value.sum).toBeCloseTo(0.042, 6);
    expect(byOutcome.ok.value.buckets.boundaries).toEqual(KEYVAULT_DURATION_BUCKETS);
  });

  it('reads the ring and revocation gauges at export time', async () => {
    let age = 7_000_000;
    h.metrics.observeRing(() => ({ keysByPhase: { announced: 0, active: 1, retired: 1, disabled: 3 }, activeKeyAgeSeconds: age, successorAnnounced: false, refreshAgeSeconds: 12 }));
    h.metrics.observeRevocationView(() => 4);
    let exported = await h.collect();
    expect(points(metricNamed(exported, 'kvjwt.ring.keys'))).toEqual(
      expect.arrayContaining([
        { attributes: { 'kvjwt.key.phase': 'active' }, value: 1 },
        { attributes: { 'kvjwt.key.phase': 'disabled' }, value: 3 },
        { attributes: { 'kvjwt.key.phase': 'announced' }, value: 0 },
      ]),
    );
    expect(points(metricNamed(exported, 'kvjwt.ring.active_key.age'))).toEqual([{ attributes: { 'kvjwt.successor': 'none' }, value: 7_000_000 }]);
    expect(points(metricNamed(exported, 'kvjwt.ring.refresh.age'))).toEqual([{ attributes: {}, value: 12 }]);
    expect(points(metricNamed(exported, 'kvjwt.revocation.view.age'))).toEqual([{ attributes: {}, value: 4 }]);
    age += 60;
    exported = await h.collect();
    expect(points(metricNamed(exported, 'kvjwt.ring.active_key.age'))[0].value).toBe(7_000_060);
  });

  it('carries no token, key material, secret or raw subject in any attribute, even when handed one by mistake', async () => {
    const subject = `alice.${randomUUID()}@contoso.example`;
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: subject, aud: 'api://orders' })}.${randomBytes(256).toString('base64url')}`;
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    recordEverything(h.metrics);
    // Mistakes an integration could make: a token, a subject or key material where an id or a code belongs.
    h.metrics.tokenSigned({ alg: 'RS256', caller: token });
    h.metrics.tokenSigned({ alg: 'RS256', caller: `Bearer ${token}` });
    h.metrics.tokenSigned({ alg: 'RS256', caller: subject });
    h.metrics.signFailed({ alg: 'RS256', code: pem });
    h.metrics.rotationRan({ key: 'sig', trigger: 'admin', outcome: 'failed', code: subject });
    h.metrics.keyVaultCall({ operation: token, outcome: 'other', durationSeconds: 0.1 });
    const values = (await h.collect()).flatMap((metric) => (metric.dataPoints as Array<DataPoint<unknown>>).flatMap((point) => Object.values(point.attributes).map(String)));
    const snapshotValues = h.metrics.snapshot().series.flatMap((series) => Object.values(series.attributes).map(String));
    for (const value of [...values, ...snapshotValues]) {
      expect(findSecretLeaks(value)).toEqual([]);
      expect(value).not.toContain(subject);
      expect(value).not.toContain(token.split('.')[2]);
      expect(value).not.toMatch(/-----BEGIN|eyJ/);
    }
    expect(values).toContain('other'); // what the mistakes were recorded as
  });
});

describe('counters since start (admins’ /api/health)', () => {
  it('counts every event since start, without OpenTelemetry when no connection string is set', async () => {
    const loadMeter = jest.fn();
    const metrics = await createMetrics({}, { clock: new ManualClock(START_MS), loadMeter });
    recordEverything(metrics);
    expect(loadMeter).not.toHaveBeenCalled();
    const snapshot = metrics.snapshot();
    expect(snapshot.since).toBe('2026-05-01T12:00:00.000Z');
    const count = (name: string, attributes: Record<string, string | number>): number | undefined =>
      snapshot.series.find((series) => series.name === name && JSON.stringify(series.attributes) === JSON.stringify(attributes))?.count;
    expect(count('kvjwt.tokens.signed', { 'kvjwt.alg': 'RS256', 'kvjwt.caller': ADMIN_OID })).toBe(2);
    expect(count('kvjwt.verify.answers', { 'kvjwt.outcome': 'expired' })).toBe(2);
    expect(count('kvjwt.revocations', { 'kvjwt.revocation.kind': 'all' })).toBe(1);
    expect(count('kvjwt.rotations', { 'kvjwt.key.use': 'sig', 'kvjwt.rotation.trigger': 'timer', 'kvjwt.outcome': 'failed', 'error.type': 'key_store_forbidden' })).toBe(1);
    expect(count('kvjwt.rotations', { 'kvjwt.key.use': 'enc', 'kvjwt.rotation.trigger': 'timer', 'kvjwt.outcome': 'unchanged' })).toBe(1);
    const throttled = snapshot.series.find((series) => series.attributes['kvjwt.outcome'] === 'throttled');
    expect(throttled).toEqual({ name: 'kvjwt.keyvault.call.duration', attributes: { 'kvjwt.operation': 'sign', 'kvjwt.outcome': 'throttled', 'http.response.status_code': 429 }, count: 1, sum: 0.011 });
    // Gauges are read by health directly; the snapshot holds counters and durations only.
    expect(snapshot.series.some((series) => series.name.startsWith('kvjwt.ring.'))).toBe(false);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot); // plain JSON for the health answer
  });

  it('folds series past the per-instrument cardinality limit into one overflow series', async () => {
    const metrics = await createMetrics({});
    for (let i = 0; i < MAX_SERIES_PER_INSTRUMENT + 100; i += 1) metrics.tokenSigned({ alg: 'RS256', caller: `caller-${i}` });
    metrics.verifyAnswered({ outcome: 'active' });
    const series = metrics.snapshot().series;
    expect(series).toHaveLength(MAX_SERIES_PER_INSTRUMENT + 2);
    expect(series.filter((s) => s.attributes['otel.metric.overflow'] === 'true').map((s) => [s.name, s.count])).toEqual([['kvjwt.tokens.signed', 100]]);
    // Another instrument is not affected by the flood.
    expect(series.find((s) => s.name === 'kvjwt.verify.answers')).toEqual({ name: 'kvjwt.verify.answers', attributes: { 'kvjwt.outcome': 'active' }, count: 1 });
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
