import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies `Values` of local.settings.json into the environment, as Core Tools does; variables already
 * set in the environment win (so CI and one-off overrides need no file edits). Returns the names it
 * applied. A malformed file stops start-up with the file's path, never its content (it holds secrets).
 */
export function applyLocalSettings(appRoot: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = join(appRoot, 'local.settings.json');
  if (!existsSync(path)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a secret.
    throw new Error(`${path} is not valid JSON.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object.`);
  const file = parsed as { IsEncrypted?: unknown; Values?: unknown };
  if (file.IsEncrypted === true) throw new Error(`${path} is encrypted (IsEncrypted: true); only Core Tools can read it. Decrypt it with "func settings decrypt" or write plain Values.`);
  const values = file.Values;
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
