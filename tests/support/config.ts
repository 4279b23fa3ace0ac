import { loadConfig, type AppConfig, type Environment } from '../../src/config/settings';

/**
 * Settings as a local developer has them: AUTH_MODE=none asked for explicitly (the app's own
 * default is entra), everything else from `env` or the defaults.
 */
export function localConfig(env: Environment = {}): AppConfig {
  return loadConfig({ AUTH_MODE: 'none', ...env });
}
