import { computePhases } from '../../src/keys/phases';
import { createPhaseChangeTracker, ringReading } from '../../src/telemetry/ring-reading';
import { keyVaultOutcome } from '../../src/telemetry/keyvault-outcome';
import { azureMonitorOptions, parseAuthenticationString } from '../../src/telemetry/azure-monitor';
import { RestError } from '@azure/core-rest-pipeline';
import { constructedRing, HOUR, NOW, RETENTION, VERSIONS } from '../keys/timeline-fixture';

describe('ringReading', () => {
  it('counts versions per phase and reads the active key’s age and the ring’s freshness', () => {
    expect(ringReading(constructedRing(), NOW, { ageMs: 12_400 })).toEqual({
      keysByPhase: { announced: 1, active: 1, retired: 1, disabled: 3 },
      activeKeyAgeSeconds: HOUR,
      successorAnnounced: true,
      refreshAgeSeconds: 12,
    });
  });

  it('leaves the active key’s age out when no key is active', () => {
    const reading = ringReading(constructedRing(VERSIONS.filter((v) => !v.enabled)), NOW, {});
    expect(reading).toEqual({ keysByPhase: { announced: 0, active: 0, retired: 0, disabled: 3 }, activeKeyAgeSeconds: undefined, successorAnnounced: false, refreshAgeSeconds: undefined });
  });
});

describe('createPhaseChangeTracker', () => {
  it('reports phase changes between views, none for the first view', () => {
    const changes: Array<[string, string]> = [];
    const keys = new Set<string>();
    const recorder = {
      keyPhaseChanged: ({ key, from, to }: { key: string; from: string; to: string }): void => {
        keys.add(key);
        changes.push([from, to]);
      },
    };
    const tracker = createPhaseChangeTracker(recorder, 'enc');
    const policy = { alg: 'RS256' as const, retentionSeconds: RETENTION };
    tracker.observe(computePhases(VERSIONS, NOW, policy));
    expect(changes).toEqual([]);
    // Two hours later `next` has activated (current retires) and a new version was announced.
    const later = [...VERSIONS, { ...VERSIONS[5], kid: 'newer', created: NOW + 2 * HOUR, notBefore: NOW + 5 * HOUR }];
    tracker.observe(computePhases(later, NOW + 2 * HOUR, policy));
    expect(changes.sort()).toEqual([
      ['active', 'retired'],
      ['announced', 'active'],
      ['none', 'announced'],
    ]);
    tracker.observe(computePhases(later, NOW + 2 * HOUR, policy));
    expect(changes).toHaveLength(3);
    expect([...keys]).toEqual(['enc']); // counted under the key the tracker was made for
  });
});

describe('keyVaultOutcome', () => {
  it('names success, throttling, client and server errors with their status', () => {
    expect(keyVaultOutcome({ status: 200 })).toEqual({ outcome: 'ok', status: 200 });
    expect(keyVaultOutcome({ status: 429 })).toEqual({ outcome: 'throttled', status: 429 });
    expect(keyVaultOutcome({ status: 403 })).toEqual({ outcome: 'client_error', status: 403 });
    expect(keyVaultOutcome({ status: 503 })).toEqual({ outcome: 'server_error', status: 503 });
  });

  it('names attempts without an answer by what took its place', () => {
    expect(keyVaultOutcome({ error: new RestError('late', { code: 'KVJWT_ATTEMPT_TIMEOUT' }) })).toEqual({ outcome: 'timeout' });
    expect(keyVaultOutcome({ error: Object.assign(new Error('aborted'), { name: 'AbortError' }) })).toEqual({ outcome: 'timeout' });
    expect(keyVaultOutcome({ error: new RestError('reset', { code: 'ECONNRESET' }) })).toEqual({ outcome: 'network' });
    expect(keyVaultOutcome({ error: new Error('odd') })).toEqual({ outcome: 'other' });
  });
});

describe('Azure Monitor distro options', () => {
  it('reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING as the Functions host does', () => {
    expect(parseAuthenticationString('Authorization=AAD')).toEqual({ entra: true, clientId: undefined });
    expect(parseAuthenticationString('Authorization=AAD;ClientId=1b2c3d4e-0000-4000-8000-000000000000')).toEqual({ entra: true, clientId: '1b2c3d4e-0000-4000-8000-000000000000' });
    expect(parseAuthenticationString(' authorization = aad ; clientid = abc ')).toEqual({ entra: true, clientId: 'abc' });
    expect(parseAuthenticationString(undefined)).toEqual({ entra: false });
    expect(parseAuthenticationString('garbage')).toEqual({ entra: false });
  });

  it('exports metrics and Azure SDK spans, with the Entra credential when given, and no HTTP or live-metrics traffic of its own', () => {
    const credential = { getToken: () => Promise.resolve(null) };
    const options = azureMonitorOptions('InstrumentationKey=x', credential);
    expect(options.azureMonitorExporterOptions).toEqual({ connectionString: 'InstrumentationKey=x', credential });
    expect(options.enableLiveMetrics).toBe(false);
    expect(options.instrumentationOptions?.azureSdk).toEqual({ enabled: true });
    expect(options.instrumentationOptions?.http).toEqual({ enabled: false });
    expect(azureMonitorOptions('InstrumentationKey=x').azureMonitorExporterOptions).toEqual({ connectionString: 'InstrumentationKey=x' });
  });
});
