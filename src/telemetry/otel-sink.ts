// Types only: this file loads nothing of OpenTelemetry; the meter comes from whoever created it.
import type { Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { INSTRUMENTS, type Instrument } from './metrics';
import type { GaugeValue, MetricSink } from './recorder';

/** Seconds: Key Vault answers in ~10–100 ms, retries and throttling push it to seconds. */
export const KEYVAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * OpenTelemetry instruments for every entry of INSTRUMENTS, created once on the given meter.
 * Gauges are observable: each export calls the registered reads (ring-reading.ts).
 */
export function createOtelSink(meter: Meter, shutdown?: () => Promise<void>): MetricSink {
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const gaugeReads = new Map<string, Array<() => readonly GaugeValue[]>>();
  for (const instrument of Object.values(INSTRUMENTS) as Instrument[]) {
    const options = { unit: instrument.unit, description: instrument.description };
    if (instrument.kind === 'counter') counters.set(instrument.name, meter.createCounter(instrument.name, options));
    else if (instrument.kind === 'histogram') {
      histograms.set(instrument.name, meter.createHistogram(instrument.name, { ...options, advice: { explicitBucketBoundaries: KEYVAULT_DURATION_BUCKETS } }));
    } else {
      const reads: Array<() => readonly GaugeValue[]> = [];
      gaugeReads.set(instrument.name, reads);
      meter.createObservableGauge(instrument.name, options).addCallback((result: ObservableResult) => {
        for (const read of reads) for (const { attributes, value } of read()) result.observe(value, attributes);
      });
    }
  }
  return {
    add: (instrument, attributes) => counters.get(instrument.name)?.add(1, attributes),
    record: (instrument, attributes, value) => histograms.get(instrument.name)?.record(value, attributes),
    observe: (instrument, read) => {
      gaugeReads.get(instrument.name)?.push(read);
    },
    shutdown,
  };
}
