import { azureMonitorOptions, parseAuthenticationString } from '../../src/telemetry/azure-monitor';

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
