import { ManualClock } from '../../src/clock';
import { createCounterSink, MAX_SERIES_PER_INSTRUMENT } from '../../src/telemetry/counter-sink';
import { INSTRUMENTS } from '../../src/telemetry/metrics';
import { createMetrics } from '../../src/telemetry/create-metrics';
import { ADMIN_OID, recordEverything, START_MS } from './metrics-fixture';

/** The counters since start (src/telemetry/counter-sink.ts) that admins read in /api/health. */
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

  it('keeps counting a series it knew before the limit was reached, past the limit', () => {
    const { sink, snapshot } = createCounterSink(new ManualClock(START_MS));
    sink.add(INSTRUMENTS.tokensSigned, { 'kvjwt.caller': 'first' });
    for (let i = 0; i < MAX_SERIES_PER_INSTRUMENT; i += 1) sink.add(INSTRUMENTS.tokensSigned, { 'kvjwt.caller': `caller-${i}` });
    sink.add(INSTRUMENTS.tokensSigned, { 'kvjwt.caller': 'first' });
    expect(snapshot().series.find((s) => s.attributes['kvjwt.caller'] === 'first')?.count).toBe(2);
  });

  it('sums durations to the microsecond and lists series by name, then attributes', () => {
    const { sink, snapshot } = createCounterSink(new ManualClock(START_MS));
    sink.add(INSTRUMENTS.verifyAnswers, { 'kvjwt.outcome': 'revoked' });
    sink.record(INSTRUMENTS.keyVaultCallDuration, { 'kvjwt.operation': 'sign' }, 0.1);
    sink.record(INSTRUMENTS.keyVaultCallDuration, { 'kvjwt.operation': 'sign' }, 0.2);
    sink.add(INSTRUMENTS.verifyAnswers, { 'kvjwt.outcome': 'active' });
    expect(snapshot().series).toEqual([
      { name: 'kvjwt.keyvault.call.duration', attributes: { 'kvjwt.operation': 'sign' }, count: 2, sum: 0.3 },
      { name: 'kvjwt.verify.answers', attributes: { 'kvjwt.outcome': 'active' }, count: 1 },
      { name: 'kvjwt.verify.answers', attributes: { 'kvjwt.outcome': 'revoked' }, count: 1 },
    ]);
  });
});
