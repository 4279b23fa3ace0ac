import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON file of the app root (undefined if absent); errors never quote it: local.settings.json holds secrets. */
function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not valid JSON.`);
  }
}

/** Copies `Values` of local.settings.json into the environment as Core Tools does; variables already set win. Returns the names applied. */
export function applyLocalSettings(appRoot: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = join(appRoot, 'local.settings.json');
  const file = readJson(path);
  if (file === undefined) return [];
  if (!isObject(file)) throw new Error(`${path} must hold a JSON object.`);
  if (file.IsEncrypted === true) throw new Error(`${path} is encrypted (IsEncrypted: true); only Core Tools can read it. Decrypt it with "func settings decrypt" or write plain Values.`);
  if (file.Values !== undefined && !isObject(file.Values)) throw new Error(`${path}: "Values" must be an object.`);
  const values = Object.entries(file.Values ?? {});
  const notText = values.find(([, value]) => typeof value !== 'string');
  if (notText) throw new Error(`${path}: Values.${notText[0]} must be a string.`);
  const applied = values.filter(([name]) => env[name] === undefined);
  for (const [name, value] of applied) env[name] = String(value);
  return applied.map(([name]) => name);
}

/** `extensions.http.routePrefix` of host.json (default `api`), as the Functions host reads it. */
export function routePrefix(appRoot: string): string {
  const path = join(appRoot, 'host.json');
  const prefix = (readJson(path) as { extensions?: { http?: { routePrefix?: unknown } } } | undefined)?.extensions?.http?.routePrefix ?? 'api';
  if (typeof prefix !== 'string') throw new Error(`${path}: extensions.http.routePrefix must be a string.`);
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** Local development: with AUTH_MODE unset (after local.settings.json) the host sets `none` in its own environment, whatever the app's default. */
export function explicitAuthMode(env: NodeJS.ProcessEnv): void {
  if (!env.AUTH_MODE?.trim()) env.AUTH_MODE = 'none';
}
/** AUTH_MODE=none lets anyone sign, so it binds loopback whatever HOST says; HOST counts only with AUTH_MODE=entra. */
export function bindAddress(env: NodeJS.ProcessEnv): string {
  return (env.AUTH_MODE?.trim() === 'entra' && env.HOST?.trim()) || '127.0.0.1';
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim() || String(fallback);
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new Error(`${name}: "${raw}" is not a whole number from ${min} to ${max}.`);
  return Number(raw);
}

/** PORT (default 7071); 0 asks the system for a free port. */
export const requestedPort = (env: NodeJS.ProcessEnv): number => whole(env, 'PORT', 7071, 0, 65535);
/** DEVHOST_REQUEST_TIMEOUT_MS (default 20 s, at most 30 s): how long a client may take to send a whole request. */
export const requestTimeoutMs = (env: NodeJS.ProcessEnv): number => whole(env, 'DEVHOST_REQUEST_TIMEOUT_MS', 20_000, 100, 30_000);
