import { INSTRUMENTS, type MetricAttributes, type MetricsSnapshot } from '../../src/telemetry/metrics';
import { metricsOver, type GaugeValue, type MetricSink } from '../../src/telemetry/recorder';

/**
 * metricsOver: the Metrics port over any number of sinks. Attributes are built (and free strings
 * checked) once, so every sink records the same names and values; gauges are read lazily.
 */
interface Recorded {
  kind: 'add' | 'record';
  name: string;
  attributes: MetricAttributes;
  value?: number;
}

function capturingSink(): MetricSink & { recorded: Recorded[]; gauges: Map<string, () => readonly GaugeValue[]>; shutdowns: number } {
  const sink = {
    recorded: [] as Recorded[],
    gauges: new Map<string, () => readonly GaugeValue[]>(),
    shutdowns: 0,
    add: (instrument: { name: string }, attributes: MetricAttributes) => sink.recorded.push({ kind: 'add', name: instrument.name, attributes }),
    record: (instrument: { name: string }, attributes: MetricAttributes, value: number) => sink.recorded.push({ kind: 'record', name: instrument.name, attributes, value }),
    observe: (instrument: { name: string }, read: () => readonly GaugeValue[]) => {
      sink.gauges.set(instrument.name, read);
    },
    shutdown: () => {
      sink.shutdowns += 1;
      return Promise.resolve();
    },
  };
  return sink;
}

const EMPTY: MetricsSnapshot = { since: '2026-05-01T00:00:00.000Z', series: [] };

describe('metricsOver', () => {
  it('hands every sink the same instrument, attributes and value', () => {
    const [one, two] = [capturingSink(), capturingSink()];
    const metrics = metricsOver([one, two], () => EMPTY);
    metrics.tokenSigned({ alg: 'ES256', caller: 'local-developer' });
    metrics.signFailed({ alg: 'RS256', code: 'no_active_key' });
    metrics.verifyAnswered({ outcome: 'revoked' });
    metrics.revoked({ kind: 'subject' });
    metrics.rotationRan({ key: 'enc', trigger: 'emergency', outcome: 'created' });
    metrics.keyPhaseChanged({ key: 'sig', from: 'none', to: 'announced' });
    metrics.keyVaultCall({ operation: 'unwrapKey', outcome: 'ok', status: 200, durationSeconds: 0.02 });
    expect(one.recorded).toEqual(two.recorded);
    expect(one.recorded).toEqual([
      { kind: 'add', name: INSTRUMENTS.tokensSigned.name, attributes: { 'kvjwt.alg': 'ES256', 'kvjwt.caller': 'local-developer' } },
      { kind: 'add', name: INSTRUMENTS.signFailures.name, attributes: { 'kvjwt.alg': 'RS256', 'error.type': 'no_active_key' } },
      { kind: 'add', name: INSTRUMENTS.verifyAnswers.name, attributes: { 'kvjwt.outcome': 'revoked' } },
      { kind: 'add', name: INSTRUMENTS.revocations.name, attributes: { 'kvjwt.revocation.kind': 'subject' } },
      { kind: 'add', name: INSTRUMENTS.rotations.name, attributes: { 'kvjwt.key.use': 'enc', 'kvjwt.rotation.trigger': 'emergency', 'kvjwt.outcome': 'created' } },
      { kind: 'add', name: INSTRUMENTS.phaseChanges.name, attributes: { 'kvjwt.key.use': 'sig', 'kvjwt.key.phase.from': 'none', 'kvjwt.key.phase.to': 'announced' } },
      { kind: 'record', name: INSTRUMENTS.keyVaultCallDuration.name, attributes: { 'kvjwt.operation': 'unwrapKey', 'kvjwt.outcome': 'ok', 'http.response.status_code': 200 }, value: 0.02 },
    ]);
  });

  it('adds error.type to a rotation only when it failed with a code', () => {
    const sink = capturingSink();
    const metrics = metricsOver([sink], () => EMPTY);
    metrics.rotationRan({ key: 'sig', trigger: 'timer', outcome: 'unchanged' });
    metrics.rotationRan({ key: 'sig', trigger: 'timer', outcome: 'failed', code: 'key_store_forbidden' });
    expect(sink.recorded.map((entry) => entry.attributes['error.type'])).toEqual([undefined, 'key_store_forbidden']);
    expect(Object.keys(sink.recorded[0].attributes)).not.toContain('error.type');
  });

  it('checks free strings against the closed lists before any sink sees them', () => {
    const sink = capturingSink();
    const metrics = metricsOver([sink], () => EMPTY);
    metrics.tokenSigned({ alg: 'XX999' as 'RS256', caller: 'alice@contoso.example' });
    metrics.signFailed({ alg: 'RS256', code: 'made_up_code' });
    metrics.keyVaultCall({ operation: 'purge', outcome: 'ok', durationSeconds: 1 });
    metrics.keyPhaseChanged({ key: 'both' as 'sig', from: 'active', to: 'retired' });
    expect(sink.recorded.map((entry) => entry.attributes)).toEqual([
      { 'kvjwt.alg': 'other', 'kvjwt.caller': 'other' },
      { 'kvjwt.alg': 'RS256', 'error.type': 'other' },
      { 'kvjwt.operation': 'other', 'kvjwt.outcome': 'ok' },
      { 'kvjwt.key.use': 'other', 'kvjwt.key.phase.from': 'active', 'kvjwt.key.phase.to': 'retired' },
    ]);
  });

  it('records a Key Vault attempt\'s status only when it is a whole number, and never a negative duration', () => {
    const sink = capturingSink();
    const metrics = metricsOver([sink], () => EMPTY);
    metrics.keyVaultCall({ operation: 'sign', outcome: 'timeout', durationSeconds: 5 });
    metrics.keyVaultCall({ operation: 'sign', outcome: 'other', status: Number.NaN, durationSeconds: 0.1 });
    metrics.keyVaultCall({ operation: 'sign', outcome: 'ok', status: 200, durationSeconds: -0.004 }); // a clock stepping back
    expect(sink.recorded.map((entry) => [entry.attributes['http.response.status_code'], entry.value])).toEqual([
      [undefined, 5],
      [undefined, 0.1],
      [200, 0],
    ]);
  });

  it('registers the ring gauges, read at each export: keys per phase, the active key\'s age with its successor, the refresh age', () => {
    const sink = capturingSink();
    const metrics = metricsOver([sink], () => EMPTY);
    let reading: ReturnType<Parameters<typeof metrics.observeRing>[0]> = { keysByPhase: { announced: 1, active: 1, retired: 0, disabled: 2 }, activeKeyAgeSeconds: 90, successorAnnounced: true, refreshAgeSeconds: 4 };
    metrics.observeRing(() => reading);
    const read = (name: string): readonly GaugeValue[] => sink.gauges.get(name)?.() ?? [];
    expect(read(INSTRUMENTS.ringKeys.name)).toEqual([
      { attributes: { 'kvjwt.key.phase': 'announced' }, value: 1 },
      { attributes: { 'kvjwt.key.phase': 'active' }, value: 1 },
      { attributes: { 'kvjwt.key.phase': 'retired' }, value: 0 },
      { attributes: { 'kvjwt.key.phase': 'disabled' }, value: 2 },
    ]);
    expect(read(INSTRUMENTS.activeKeyAge.name)).toEqual([{ attributes: { 'kvjwt.successor': 'announced' }, value: 90 }]);
    expect(read(INSTRUMENTS.ringRefreshAge.name)).toEqual([{ attributes: {}, value: 4 }]);
    // No active key, never listed: no age and no refresh age, rather than a made-up zero.
    reading = { keysByPhase: { announced: 0, active: 0, retired: 0, disabled: 0 }, successorAnnounced: false };
    expect([read(INSTRUMENTS.activeKeyAge.name), read(INSTRUMENTS.ringRefreshAge.name)]).toEqual([[], []]);
    // Nothing to read yet (services not built): every ring gauge is empty.
    reading = undefined;
    expect([read(INSTRUMENTS.ringKeys.name), read(INSTRUMENTS.activeKeyAge.name), read(INSTRUMENTS.ringRefreshAge.name)]).toEqual([[], [], []]);
  });

  it('registers the revocation view\'s age, empty until it has synchronised', () => {
    const sink = capturingSink();
    const view: { age?: number } = {};
    metricsOver([sink], () => EMPTY).observeRevocationView(() => view.age);
    const read = (): readonly GaugeValue[] => sink.gauges.get(INSTRUMENTS.revocationViewAge.name)?.() ?? [];
    expect(read()).toEqual([]);
    view.age = 3;
    expect(read()).toEqual([{ attributes: {}, value: 3 }]);
  });

  it('answers the snapshot it was given and shuts down every sink that can be shut down', async () => {
    const [one, two] = [capturingSink(), capturingSink()];
    const { shutdown: _none, ...withoutShutdown } = capturingSink();
    const metrics = metricsOver([one, withoutShutdown, two], () => EMPTY);
    expect(metrics.snapshot()).toBe(EMPTY);
    await metrics.shutdown();
    expect([one.shutdowns, two.shutdowns]).toEqual([1, 1]);
  });
});
