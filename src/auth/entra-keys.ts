import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock';

interface Jwk {
  kty?: string;
  kid?: string;
  n?: string;
  e?: string;
  use?: string;
}

/**
 * The tenant's token-signing keys from `{AUTH_AUTHORITY_HOST}/{tenant}/discovery/v2.0/keys`, cached.
 * An unknown kid refetches at most once per cool-down (Entra rolls keys rarely; a flood of random
 * kids must not turn into a flood of requests to login.microsoftonline.com).
 */
export class EntraSigningKeys {
  private keys = new Map<string, KeyObject>();
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly clock: Clock,
    private readonly options: { cooldownMs: number; maxAgeMs: number; timeoutMs: number },
  ) {}

  async get(kid: string): Promise<KeyObject | undefined> {
    const age = this.clock.nowMs() - this.fetchedAtMs;
    if (age >= this.options.maxAgeMs || (!this.keys.has(kid) && age >= this.options.cooldownMs)) {
      await this.refresh().catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
        if (!response.ok) throw new Error(`keys endpoint answered ${response.status}`);
        const body = (await response.json()) as { keys?: Jwk[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (jwk.kty !== 'RSA' || !jwk.kid || !jwk.n || !jwk.e || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
          next.set(jwk.kid, createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }));
        }
        this.keys = next;
      } finally {
        // Failures count too: the cool-down also protects a struggling keys endpoint.
        this.fetchedAtMs = this.clock.nowMs();
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
