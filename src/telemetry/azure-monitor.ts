/**
 * Loaded only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (create-metrics.ts imports it
 * dynamically): the Azure Monitor OpenTelemetry distro and the OpenTelemetry SDK under it are
 * a large module graph that a local start never needs.
 */
import type { TokenCredential } from '@azure/identity';
import { shutdownAzureMonitor, useAzureMonitor, type AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { metrics, type Meter } from '@opentelemetry/api';

export const METER_NAME = 'kv-jwt';

/**
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` as the Functions host reads it: `Authorization=AAD`
 * (system-assigned identity) or `Authorization=AAD;ClientId=<id>` (user-assigned). The distro does
 * not read it itself, and with local auth disabled on the component (infra/modules/monitoring.bicep)
 * telemetry without an Entra token is refused.
 */
export function parseAuthenticationString(value: string | undefined): { entra: boolean; clientId?: string } {
  const fields = new Map(
    (value ?? '')
      .split(';')
      .map((part) => part.split('=').map((piece) => piece.trim()))
      .filter((pair) => pair.length === 2 && pair[0] !== '')
      .map(([name, field]) => [name.toLowerCase(), field] as const),
  );
  const entra = fields.get('authorization')?.toUpperCase() === 'AAD';
  return entra ? { entra, clientId: fields.get('clientid') || undefined } : { entra };
}

/**
 * The distro's options: metrics and Azure SDK dependency traces; no HTTP instrumentation (the
 * Functions host already records requests, and Key Vault calls are Azure SDK spans), no live
 * metrics, no database or logger instrumentations (none are used).
 */
export function azureMonitorOptions(connectionString: string, credential?: TokenCredential): AzureMonitorOpenTelemetryOptions {
  const off = { enabled: false };
  return {
    azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) },
    enableLiveMetrics: false,
    instrumentationOptions: { azureSdk: { enabled: true }, http: off, mongoDb: off, mySql: off, postgreSql: off, redis: off, redis4: off, bunyan: off, winston: off },
  };
}

let started: Promise<{ meter: Meter; shutdown: () => Promise<void> }> | undefined;

/** Starts the distro once per process (it installs global providers); later calls share it. */
export function startAzureMonitor(env: Readonly<Record<string, string | undefined>>): Promise<{ meter: Meter; shutdown: () => Promise<void> }> {
  started ??= (async () => {
    const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING ?? '';
    const auth = parseAuthenticationString(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
    let credential: TokenCredential | undefined;
    if (auth.entra) {
      const { ManagedIdentityCredential } = await import('@azure/identity');
      credential = auth.clientId ? new ManagedIdentityCredential({ clientId: auth.clientId }) : new ManagedIdentityCredential();
    }
    useAzureMonitor(azureMonitorOptions(connectionString, credential));
    const shutdown = async (): Promise<void> => {
      started = undefined;
      await shutdownAzureMonitor();
    };
    return { meter: metrics.getMeter(METER_NAME), shutdown };
  })();
  const attempt = started;
  // A failed start may be retried by the next caller.
  attempt.catch(() => {
    if (started === attempt) started = undefined;
  });
  return attempt;
}
