import { ConfigError } from '../errors';
import { text, type Environment } from './readers';

/**
 * JWT_ENCRYPTION_AUDIENCE_JWKS: a JSON object `{ "<audience>": "https://…/jwks.json" }`. Each audience
 * must be one callers may request, each URL https (the key found there decides who can read the
 * claims, so it is never fetched over plain http).
 */
export function readAudienceJwks(env: Environment, audiences: readonly string[]): Map<string, string> {
  const name = 'JWT_ENCRYPTION_AUDIENCE_JWKS';
  const raw = text(env, name);
  const map = new Map<string, string>();
  if (raw === undefined) return map;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'is not valid JSON: use {"<audience>": "https://…/jwks.json"}.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(name, 'must be a JSON object: {"<audience>": "https://…/jwks.json"}.');
  for (const [audience, url] of Object.entries(parsed as Record<string, unknown>)) {
    if (!audiences.includes(audience)) throw new ConfigError(name, `"${audience}" is not one of JWT_AUDIENCES.`);
    let parsedUrl: URL | undefined;
    try {
      parsedUrl = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsedUrl = undefined;
    }
    if (parsedUrl?.protocol !== 'https:') throw new ConfigError(name, `the JWKS of "${audience}" must be an https:// URL.`);
    map.set(audience, parsedUrl.href);
  }
  return map;
}
