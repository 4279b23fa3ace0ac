import type { Clock } from '../clock';
import type { Instrument, MetricAttributes, MetricsSnapshot, SeriesSnapshot } from './metrics';
import type { MetricSink } from './recorder';

/**
 * Series of one instrument beyond this fold into its overflow series, as OpenTelemetry's
 * cardinality limit does: a flood of new callers can neither grow memory nor hide other instruments.
 */
export const MAX_SERIES_PER_INSTRUMENT = 500;
const OVERFLOW: MetricAttributes = { 'otel.metric.overflow': 'true' };

interface Series {
  name: string;
  attributes: MetricAttributes;
  count: number;
  sum: number;
  histogram: boolean;
}

/**
 * Counters since start, in a Map keyed by instrument and attribute values: a record is one string
 * concatenation and one Map update. Gauges are not kept (health reads the ring and the revocation
 * view directly).
 */
export function createCounterSink(clock: Clock): { sink: MetricSink; snapshot: () => MetricsSnapshot } {
  const since = new Date(clock.nowMs()).toISOString();
  const series = new Map<string, Series>();
  const seriesPerInstrument = new Map<string, number>();

  const keyOf = (instrument: Instrument, attributes: MetricAttributes): string => {
    let key = instrument.name;
    for (const name in attributes) key += `\u0000${name}=${attributes[name]}`;
    return key;
  };
  const entry = (instrument: Instrument, attributes: MetricAttributes): Series => {
    let key = keyOf(instrument, attributes);
    let found = series.get(key);
    if (found) return found;
    // Past the limit, new series fold into the instrument's overflow series (made even past it).
    const made = seriesPerInstrument.get(instrument.name) ?? 0;
    const full = made >= MAX_SERIES_PER_INSTRUMENT;
    if (full) {
      key = keyOf(instrument, OVERFLOW);
      found = series.get(key);
      if (found) return found;
    }
    found = { name: instrument.name, attributes: { ...(full ? OVERFLOW : attributes) }, count: 0, sum: 0, histogram: instrument.kind === 'histogram' };
    series.set(key, found);
    seriesPerInstrument.set(instrument.name, made + 1);
    return found;
  };

  const sink: MetricSink = {
    add: (instrument, attributes) => {
      entry(instrument, attributes).count += 1;
    },
    record: (instrument, attributes, value) => {
      const found = entry(instrument, attributes);
      found.count += 1;
      found.sum += value;
    },
    observe: () => undefined,
  };

  const snapshot = (): MetricsSnapshot => ({
    since,
    series: [...series.values()]
      .map(({ name, attributes, count, sum, histogram }): SeriesSnapshot => (histogram ? { name, attributes, count, sum: Math.round(sum * 1e6) / 1e6 } : { name, attributes, count }))
      .sort((a, b) => (a.name === b.name ? JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)) : a.name.localeCompare(b.name))),
  });
  return { sink, snapshot };
}
