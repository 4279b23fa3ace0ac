import { DataPointType, type DataPoint } from '@opentelemetry/sdk-metrics';
import { INSTRUMENTS } from '../../src/telemetry/metrics';
import { KEYVAULT_DURATION_BUCKETS } from '../../src/telemetry/otel-sink';
import { ADMIN_OID, harness, metricNamed, points, recordEverything, type Harness } from './metrics-fixture';

/**
 * The OpenTelemetry sink (src/telemetry/otel-sink.ts) over a real SDK MeterProvider and its
 * in-memory exporter: every instrument of INSTRUMENTS with its name, type, unit and description,
 * counters and the Key Vault histogram with their attributes, gauges read at export time.
 */
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
});
