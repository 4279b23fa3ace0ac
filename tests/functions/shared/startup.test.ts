import { ConfigError } from '../../../src/errors';
import { useProcessSettings } from '../../support/process-settings';

/**
 * functions/shared/startup.ts reads the settings when a function file is imported: a bad or
 * unsafe setting stops the app from loading, with the setting's name, instead of failing per request.
 */
function importStartup(): unknown {
  let loaded: unknown;
  jest.isolateModules(() => {
    loaded = jest.requireActual('../../../functions/shared/startup');
  });
  return loaded;
}

describe('functions/shared/startup', () => {
  it('refuses to load with AUTH_MODE=none in Azure, naming the setting', async () => {
    const restore = await useProcessSettings({ AUTH_MODE: 'none', WEBSITE_INSTANCE_ID: 'instance-1', WEBSITE_SITE_NAME: 'kv-jwt', JWT_AUDIENCES: 'api://orders', KEY_VAULT_URL: 'https://kv-jwt.vault.azure.net', AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    try {
      let error: unknown;
      try {
        importStartup();
      } catch (caught: unknown) {
        error = caught;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('ConfigError');
      expect((error as ConfigError).setting).toBe('AUTH_MODE');
    } finally {
      await restore();
    }
  });

  it('refuses to load with a setting it can not read (JWT_ALG)', async () => {
    const restore = await useProcessSettings({ JWT_ALG: 'none' });
    try {
      expect(importStartup).toThrow(/JWT_ALG/);
    } finally {
      await restore();
    }
  });

  it('loads with good settings and exposes them', async () => {
    const restore = await useProcessSettings({ JWT_ALG: 'ES384', JWT_AUDIENCES: 'api://orders' });
    try {
      expect((importStartup() as { startupConfig: { alg: string; audiences: string[] } }).startupConfig).toMatchObject({ alg: 'ES384', audiences: ['api://orders'] });
    } finally {
      await restore();
    }
  });
});
