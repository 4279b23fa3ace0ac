import type { KeyPhase } from '../keys/phases';
import { algLabel, ATTRIBUTES as A, callerLabel, codeLabel, INSTRUMENTS as I, keyUseLabel, operationLabel } from './metrics';
import type { Instrument, MetricAttributes, Metrics, MetricsSnapshot, RingReading } from './metrics';

export interface GaugeValue {
  attributes: MetricAttributes;
  value: number;
}

/** Where recorded values go: the in-process counters, OpenTelemetry instruments, or both. */
export interface MetricSink {
  add(instrument: Instrument, attributes: MetricAttributes): void;
  record(instrument: Instrument, attributes: MetricAttributes, value: number): void;
  /** Registers a callback read at each export (gauges); sinks that do not export ignore it. */
  observe(instrument: Instrument, read: () => readonly GaugeValue[]): void;
  shutdown?(): Promise<void>;
}

const PHASES: readonly KeyPhase[] = ['announced', 'active', 'retired', 'disabled'];

function ringGauges(read: () => RingReading | undefined): Array<[Instrument, () => GaugeValue[]]> {
  return [
    [I.ringKeys, () => {
      const reading = read();
      return reading ? PHASES.map((phase) => ({ attributes: { [A.phase]: phase }, value: reading.keysByPhase[phase] })) : [];
    }],
    [I.activeKeyAge, () => {
      const reading = read();
      if (reading?.activeKeyAgeSeconds === undefined) return [];
      return [{ attributes: { [A.successor]: reading.successorAnnounced ? 'announced' : 'none' }, value: reading.activeKeyAgeSeconds }];
    }],
    [I.ringRefreshAge, () => {
      const age = read()?.refreshAgeSeconds;
      return age === undefined ? [] : [{ attributes: {}, value: age }];
    }],
  ];
}

/**
 * The Metrics port over one or more sinks: attributes are built (and free strings checked) once
 * here, so every sink records exactly the same names and values.
 */
export function metricsOver(sinks: readonly MetricSink[], snapshot: () => MetricsSnapshot): Metrics {
  const add = (instrument: Instrument, attributes: MetricAttributes): void => {
    for (const sink of sinks) sink.add(instrument, attributes);
  };
  const observe = (instrument: Instrument, read: () => readonly GaugeValue[]): void => {
    for (const sink of sinks) sink.observe(instrument, read);
  };
  return {
    tokenSigned: ({ alg, caller }) => add(I.tokensSigned, { [A.alg]: algLabel(alg), [A.caller]: callerLabel(caller) }),
    signFailed: ({ alg, code }) => add(I.signFailures, { [A.alg]: algLabel(alg), [A.errorType]: codeLabel(code) }),
    verifyAnswered: ({ outcome }) => add(I.verifyAnswers, { [A.outcome]: codeLabel(outcome) }),
    keyVaultCall: ({ operation, outcome, status, durationSeconds }) => {
      const attributes: Record<string, string | number> = { [A.operation]: operationLabel(operation), [A.outcome]: outcome };
      if (status !== undefined && Number.isInteger(status)) attributes[A.httpStatus] = status;
      for (const sink of sinks) sink.record(I.keyVaultCallDuration, attributes, Math.max(0, durationSeconds));
    },
    revoked: ({ kind }) => add(I.revocations, { [A.revocationKind]: kind }),
    rotationRan: ({ key, trigger, outcome, code }) =>
      add(I.rotations, { [A.keyUse]: keyUseLabel(key), [A.trigger]: trigger, [A.outcome]: outcome, ...(code === undefined ? {} : { [A.errorType]: codeLabel(code) }) }),
    keyPhaseChanged: ({ key, from, to }) => add(I.phaseChanges, { [A.keyUse]: keyUseLabel(key), [A.phaseFrom]: from, [A.phaseTo]: to }),
    observeRing: (read) => {
      for (const [instrument, values] of ringGauges(read)) observe(instrument, values);
    },
    observeRevocationView: (read) =>
      observe(I.revocationViewAge, () => {
        const age = read();
        return age === undefined ? [] : [{ attributes: {}, value: age }];
      }),
    snapshot,
    shutdown: async () => {
      for (const sink of sinks) await sink.shutdown?.();
    },
  };
}
