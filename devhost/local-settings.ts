import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies `Values` of local.settings.json into the environment, as Core Tools does; variables already
 * set in the environment win. Returns the names it applied.
 */
export function applyLocalSettings(appRoot: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = join(appRoot, 'local.settings.json');
  if (!existsSync(path)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not valid JSON.`);
  }
  const values = (parsed as { Values?: unknown }).Values;
  if (values === undefined) return [];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new Error(`${path}: "Values" must be an object.`);
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new Error(`${path}: Values.${name} must be a string.`);
    if (env[name] === undefined) {
      env[name] = value;
      applied.push(name);
    }
  }
  return applied;
}
