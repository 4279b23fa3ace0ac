import { createPublicKey, type KeyObject } from 'node:crypto';
import { KEY_WRAP_ALGORITHM } from '../algorithms';
import type { Clock } from '../clock';
import { ServiceError } from '../errors';

/** A key a token is encrypted to: this service's current encryption key, or an audience's own. */
export interface RecipientKey {
  kid: string;
  key: KeyObject;
}

export interface AudienceKeyOptions {
  /** A fetched JWKS is used this long, then fetched again. */
  maxAgeMs: number;
  /** At most one fetch per audience per this period (a JWKS that is down or has no usable key is not hammered). */
  cooldownMs: number;
  timeoutMs: number;
  maxBytes: number;
}

export const AUDIENCE_KEY_DEFAULTS: AudienceKeyOptions = { maxAgeMs: 10 * 60_000, cooldownMs: 30_000, timeoutMs: 5_000, maxBytes: 64 * 1024 };

const MIN_RSA_BITS = 2048;
const MAX_KID_LENGTH = 256;

interface Entry {
  key?: RecipientKey;
  fetchedAtMs?: number;
  lastAttemptMs?: number;
  inFlight?: Promise<void>;
  /** Why the last fetch gave no key: a fixed sentence, never the endpoint's text. */
  problem?: string;
}

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The one key of a JWKS a token for that audience is encrypted to: the first RSA key with
 * `use: "enc"` and `alg: "RSA-OAEP-256"` (publishers list their current key first, as this
 * service does), a kid, at least 2048 bits, and `key_ops` (when given) allowing wrapKey or encrypt.
 */
export function currentEncryptionKey(jwks: unknown): RecipientKey | undefined {
  const keys: unknown = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) return undefined;
  for (const candidate of keys as unknown[]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const jwk = candidate as Record<string, unknown>;
    if (jwk.kty !== 'RSA' || jwk.use !== 'enc' || jwk.alg !== KEY_WRAP_ALGORITHM || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') continue;
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > MAX_KID_LENGTH) continue;
    if (Array.isArray(jwk.key_ops) && !jwk.key_ops.some((op) => op === 'wrapKey' || op === 'encrypt')) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    } catch {
      continue;
    }
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) continue;
    return { kid: jwk.kid, key };
  }
  return undefined;
}

/**
 * Audiences that read their own tokens (JWT_ENCRYPTION_AUDIENCE_JWKS): each one's JWKS fetched over
 * https only, without redirects, size- and time-bounded, cached for `maxAgeMs`, and fetched again
 * — at most once per `cooldownMs` — when the cache is old or held no usable key. A failure is a 503
 * for the signing caller: a token is never encrypted to a key that could not be checked.
 */
export class AudienceKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly urls: ReadonlyMap<string, string>,
    private readonly clock: Clock,
    private readonly options: AudienceKeyOptions = AUDIENCE_KEY_DEFAULTS,
    private readonly fetcher: Fetch = fetch,
  ) {}

  has(audience: string): boolean {
    return this.urls.has(audience);
  }

  async currentKey(audience: string): Promise<RecipientKey> {
    const entry = this.entries.get(audience) ?? {};
    this.entries.set(audience, entry);
    if (!this.fresh(entry)) {
      const now = this.clock.nowMs();
      if (entry.inFlight) await entry.inFlight;
      else if (entry.lastAttemptMs === undefined || now - entry.lastAttemptMs >= this.options.cooldownMs) {
        entry.lastAttemptMs = now;
        entry.inFlight = this.fetchInto(audience, entry).finally(() => {
          entry.inFlight = undefined;
        });
        await entry.inFlight;
      }
    }
    if (entry.key && this.fresh(entry)) return entry.key;
    throw new ServiceError('key_store_unavailable', `No encryption key for audience "${audience}": ${entry.problem ?? 'its JWKS could not be read'}; try again shortly.`, {
      retryAfterSeconds: Math.ceil(this.options.cooldownMs / 1000),
    });
  }

  private fresh(entry: Entry): boolean {
    return entry.key !== undefined && entry.fetchedAtMs !== undefined && this.clock.nowMs() - entry.fetchedAtMs < this.options.maxAgeMs;
  }

  private async fetchInto(audience: string, entry: Entry): Promise<void> {
    const url = this.urls.get(audience);
    if (url === undefined || new URL(url).protocol !== 'https:') {
      entry.problem = 'no https JWKS is configured for it';
      return;
    }
    try {
      const response = await this.fetcher(url, { redirect: 'error', signal: AbortSignal.timeout(this.options.timeoutMs), headers: { accept: 'application/json' } });
      const text = response.ok ? await response.text() : '';
      if (!response.ok || Buffer.byteLength(text) > this.options.maxBytes) {
        entry.problem = response.ok ? 'its JWKS is too large' : `its JWKS answered ${response.status}`;
        return;
      }
      const key = currentEncryptionKey(JSON.parse(text));
      if (!key) {
        entry.problem = `its JWKS has no RSA key with use "enc" and alg "${KEY_WRAP_ALGORITHM}"`;
        entry.key = undefined;
        return;
      }
      entry.key = key;
      entry.fetchedAtMs = this.clock.nowMs();
      entry.problem = undefined;
    } catch {
      entry.problem = 'its JWKS could not be read';
    }
  }
}
