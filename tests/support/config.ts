import { AZURITE_ACCOUNT_KEY } from '../../devhost/azurite';
import { loadConfig, type AppConfig, type Environment } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';

/**
 * Settings as a local developer has them: AUTH_MODE=none asked for explicitly (the app's own
 * default is entra), everything else from `env` or the defaults.
 */
export function localConfig(env: Environment = {}): AppConfig {
  return loadConfig({ AUTH_MODE: 'none', ...env });
}

/** The least an instance in Azure needs (Key Vault, Entra callers) and no storage: a test adds what it is about. */
export const AZURE_SETTINGS = {
  WEBSITE_SITE_NAME: 'kv-jwt-prod',
  KEY_VAULT_URL: 'https://kv-jwt-prod.vault.azure.net',
  JWT_AUDIENCES: 'api://orders',
  AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AUTH_AUDIENCE: 'api://kv-jwt',
} as const;

/** Azurite's well-known development account with its table endpoint at `endpoint` (an emulator or a test listener). */
export const developmentTableConnection = (endpoint: string): string =>
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=${endpoint}`;

/** The ConfigError that loading these settings (on top of `base`, a local developer's by default) stops with. */
export function configErrorOf(env: Environment, base: Environment = { AUTH_MODE: 'none' }): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
