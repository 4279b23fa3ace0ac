import { ConfigError } from '../errors';
import { parseDurationMs } from './duration';

/** App settings or process environment: read only by config/, once, at start-up. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A setting's trimmed value; empty counts as unset. */
export function text(env: Environment, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A positive ISO 8601 duration, in milliseconds. */
export function duration(env: Environment, name: string, fallback: string): number {
  const raw = text(env, name) ?? fallback;
  const ms = parseDurationMs(raw);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive ISO 8601 duration (examples: P90D, PT15M, PT20S).`);
  }
  return ms;
}

export function oneOf<T extends string>(env: Environment, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `"${raw}" is not allowed; use one of ${allowed.join(', ')}.`);
  }
  return raw as T;
}

export function flag(env: Environment, name: string): boolean {
  const raw = text(env, name);
  if (raw === undefined) return false;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `"${raw}" is not a boolean; use true or false.`);
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** An https:// URL without trailing slashes; plain http only on loopback when `allowLoopbackHttp`. */
export function httpsUrl(env: Environment, name: string, allowLoopbackHttp = false, why = 'for Azurite'): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && !(allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ConfigError(name, allowLoopbackHttp ? `must be an https:// URL (http:// only on loopback, ${why}).` : 'must be an https:// URL.');
  }
  return raw.replace(/\/+$/, '');
}
