import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import { algorithmSpec, isHmac, nodeSignatureOptions, signatureLengthOf, type NodeSignatureOptions } from '../algorithms';
import type { KeyStore, KeyVersion, PublicJwk } from './key-store';
import { computePhases, type PhasedKey, type PhasePolicy } from './phases';

/** A version ready for use on the hot path: key objects are built once per version, not per token. */
export interface RingKey {
  readonly version: KeyVersion;
  /** Public key (asymmetric) or secret (HMAC) for local verification and, for HMAC, signing. */
  readonly key: KeyObject;
  /** Options for crypto.verify, prebuilt so verification allocates nothing per token for them. */
  readonly verifyOptions: NodeSignatureOptions;
  /** The exact length of a valid signature by this key (the RSA modulus, r‖s, the HMAC). */
  readonly signatureLength: number;
  /** Unix seconds from which the version signs (nbf, else created). */
  readonly activeFrom: number;
  /** Unix seconds at which its successor took (or takes) over signing; undefined while it has none. */
  readonly activeUntil?: number;
  /**
   * Bumped whenever a refresh finds the version's `enabled` changed: whatever was concluded about
   * this kid before (a verified-token cache entry) is stale from then on.
   */
  readonly generation: number;
}

export interface KeyRingOptions extends PhasePolicy {
  /** Versions are re-listed in the background when the cached list is older than this. */
  refreshIntervalMs: number;
  /** An unknown kid may force a refresh at most once per this period (flood protection). */
  unknownKidCooldownMs: number;
}

export interface KeyRingHealth {
  loaded: boolean;
  /** Milliseconds since the last successful listing. */
  ageMs?: number;
  /** Class and failure of the last refresh error, when the last refresh failed. */
  lastError?: string;
  refreshes: number;
}

/**
 * The cached view of one key's versions. Signing and local verification read only this cache:
 * after warm-up a token costs no key store call (except Key Vault's `sign` itself).
 */
export class KeyRing {
  private versions: KeyVersion[] = [];
  private readonly keys = new Map<string, RingKey>();
  private loadedAtMs: number | undefined;
  private inFlight: Promise<void> | undefined;
  private lastUnknownKidRefreshMs = Number.NEGATIVE_INFINITY;
  private lastError: string | undefined;
  private refreshCount = 0;

  constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
    private readonly options: KeyRingOptions,
    private readonly logger?: Logger,
  ) {}

  get policy(): PhasePolicy {
    return { alg: this.options.alg, retentionSeconds: this.options.retentionSeconds };
  }

  /** Loads the ring on first use; afterwards starts a background refresh when the cache is old. */
  async ready(): Promise<void> {
    if (this.loadedAtMs === undefined) {
      await this.refresh();
      return;
    }
    if (this.clock.nowMs() - this.loadedAtMs >= this.options.refreshIntervalMs) this.refreshInBackground();
  }

  /** Re-lists the versions; concurrent callers share one listing. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Re-lists the versions every `refreshIntervalMs` whatever traffic this instance gets, so a key
   * change made elsewhere (an emergency rotation, a disabled version) reaches it within that bound
   * even when it only serves cached verifies. Returns the function that stops it.
   */
  refreshPeriodically(): () => void {
    const timer = setInterval(() => this.refreshInBackground(), this.options.refreshIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private refreshInBackground(): void {
    if (this.inFlight) return;
    this.refresh().catch(() => {
      // Already recorded in lastError and logged by load(); the cached ring keeps serving.
    });
  }

  private async load(): Promise<void> {
    try {
      const listed = await this.store.listVersions();
      // Activation and retirement do not depend on the time of day, only on the other versions.
      const windows = new Map(computePhases(listed, nowSeconds(this.clock), this.policy).map((p) => [p.version.kid, p]));
      for (const version of listed) {
        const phased = windows.get(version.kid);
        const window = { activeFrom: phased?.activatesAt ?? version.created, activeUntil: phased?.retiresAt };
        const cached = this.keys.get(version.kid);
        const generation = cached === undefined ? 0 : cached.version.enabled === version.enabled ? cached.generation : cached.generation + 1;
        if (!cached || (isHmac(version.alg) && !cached.version.enabled && version.enabled)) this.keys.set(version.kid, await this.buildKey(version, { ...window, generation }));
        else this.keys.set(version.kid, { ...cached, version, ...window, generation });
      }
      this.versions = listed;
      this.loadedAtMs = this.clock.nowMs();
      this.lastError = undefined;
      this.refreshCount += 1;
    } catch (error: unknown) {
      this.lastError = describeError(error);
      this.logger?.log('warn', 'keyring.refresh_failed', { error: this.lastError });
      throw error;
    }
  }

  private async buildKey(version: KeyVersion, window: Pick<RingKey, 'activeFrom' | 'activeUntil' | 'generation'>): Promise<RingKey> {
    const spec = algorithmSpec(version.alg);
    let key: KeyObject;
    if (isHmac(version.alg)) {
      if (!this.store.getSecret) throw new Error(`The key store cannot provide HMAC secrets (${version.alg}).`);
      // A disabled version verifies nothing, and Key Vault refuses to read a disabled secret:
      // it gets a random stand-in that is never used (verify refuses disabled keys first).
      key = createSecretKey(version.enabled ? await this.store.getSecret(version.kid) : randomBytes(spec.digestLength));
    } else {
      if (!version.publicJwk) throw new Error(`Version ${version.kid} has no public key.`);
      key = createPublicKey({ key: jwkForNode(version.publicJwk), format: 'jwk' });
    }
    return { version, key, verifyOptions: nodeSignatureOptions(version.alg, key), signatureLength: signatureLengthOf(version.alg, key), ...window };
  }

  /** The key a token names, from the cache only (the hot path). */
  get(kid: string): RingKey | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key a token names; an unknown kid refreshes the ring at most once per cool-down, so a flood
   * of random kids costs at most one listing per cool-down.
   */
  async resolve(kid: string): Promise<RingKey | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    const now = this.clock.nowMs();
    if (now - this.lastUnknownKidRefreshMs < this.options.unknownKidCooldownMs) return undefined;
    this.lastUnknownKidRefreshMs = now;
    try {
      await this.refresh();
    } catch {
      return undefined; // store unreachable: the kid stays unknown; cached keys keep working
    }
    return this.keys.get(kid);
  }

  phases(): PhasedKey[] {
    return computePhases(this.versions, nowSeconds(this.clock), this.policy);
  }

  /**
   * Keys that may sign now, best first: the active key, then the previous signer. The fallback
   * matters when this instance's clock runs ahead of Key Vault's, which then refuses the new key's
   * nbf for a moment.
   */
  signingCandidates(): RingKey[] {
    const phased = this.phases();
    const active = phased.find((p) => p.phase === 'active');
    if (!active) return [];
    const previous = phased
      .filter((p) => p.phase === 'retired' && p.version.alg === this.options.alg && p.retiresAt === active.activatesAt)
      .map((p) => p.version.kid);
    return [active.version.kid, ...previous]
      .map((kid) => this.keys.get(kid))
      .filter((k): k is RingKey => k !== undefined);
  }

  health(): KeyRingHealth {
    return {
      loaded: this.loadedAtMs !== undefined,
      ageMs: this.loadedAtMs === undefined ? undefined : this.clock.nowMs() - this.loadedAtMs,
      lastError: this.lastError,
      refreshes: this.refreshCount,
    };
  }
}

function jwkForNode(jwk: PublicJwk): { kty: string; n?: string; e?: string; crv?: string; x?: string; y?: string } {
  return { kty: jwk.kty, n: jwk.n, e: jwk.e, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const failure = (error as { failure?: unknown }).failure;
    return typeof failure === 'string' ? `${error.name}:${failure}` : error.name;
  }
  return typeof error;
}

