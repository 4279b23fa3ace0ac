import type { Logger } from '../audit';
import { systemClock, type Clock } from '../clock';
import { createCounterSink } from './counter-sink';
import type { Metrics } from './metrics';
import { createOtelSink } from './otel-sink';
import { metricsOver, type MetricSink } from './recorder';
import type { Meter } from '@opentelemetry/api';

export interface MeterSource {
  meter: Meter;
  shutdown: () => Promise<void>;
}

export interface CreateMetricsOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where the OpenTelemetry meter comes from; the Azure Monitor distro unless a test passes its own. */
  loadMeter?: (env: Readonly<Record<string, string | undefined>>) => Promise<MeterSource>;
}

/** Imported here, on first use, so a start without Application Insights loads none of it. */
async function azureMonitorMeter(env: Readonly<Record<string, string | undefined>>): Promise<MeterSource> {
  const { startAzureMonitor } = await import('./azure-monitor');
  return startAzureMonitor(env);
}

/**
 * Counters in process always (cheap: a Map update per event); OpenTelemetry instruments exported to
 * Application Insights only when APPLICATIONINSIGHTS_CONNECTION_STRING is set. Call it early in
 * start-up, before the Key Vault clients are made, so the distro's Azure SDK instrumentation sees
 * them. Telemetry never stops the service: when the exporter can not start, the counters go on and
 * the log says why (by error class only: the message may quote the connection string).
 */
export async function createMetrics(env: Readonly<Record<string, string | undefined>>, options: CreateMetricsOptions = {}): Promise<Metrics> {
  const counters = createCounterSink(options.clock ?? systemClock);
  const sinks: MetricSink[] = [counters.sink];
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim()) {
    try {
      const { meter, shutdown } = await (options.loadMeter ?? azureMonitorMeter)(env);
      sinks.push(createOtelSink(meter, shutdown));
    } catch (error: unknown) {
      options.logger?.log('warn', 'telemetry.start_failed', { error: error instanceof Error ? error.name : typeof error });
    }
  }
  return metricsOver(sinks, counters.snapshot);
}
