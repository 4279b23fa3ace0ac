import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `extensions.http.routePrefix` of host.json (default `api`), as the Functions host reads it. */
export function routePrefix(appRoot: string): string {
  const path = join(appRoot, 'host.json');
  if (!existsSync(path)) return 'api';
  let host: { extensions?: { http?: { routePrefix?: unknown } } };
  try {
    host = JSON.parse(readFileSync(path, 'utf8')) as typeof host;
  } catch {
    throw new Error(`${path} is not valid JSON.`);
  }
  const prefix = host.extensions?.http?.routePrefix;
  if (prefix === undefined) return 'api';
  if (typeof prefix !== 'string') throw new Error(`${path}: extensions.http.routePrefix must be a string.`);
  return prefix.replace(/^\/+|\/+$/g, '');
}

/**
 * Where to listen. AUTH_MODE=none lets anyone sign, so such a host only ever binds loopback; HOST
 * may choose another interface only when callers are authenticated (AUTH_MODE=entra).
 */
export function bindAddress(env: NodeJS.ProcessEnv): string {
  const authMode = env.AUTH_MODE?.trim() || 'none';
  if (authMode !== 'entra') return '127.0.0.1';
  return env.HOST?.trim() || '127.0.0.1';
}

/** PORT (default 7071); 0 asks the system for a free port. */
export function requestedPort(env: NodeJS.ProcessEnv): number {
  const raw = env.PORT?.trim() || '7071';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new Error(`PORT: "${raw}" is not a port number (0-65535).`);
  return port;
}
