import type { Logger } from '../audit';
import { nowSeconds, type Clock } from '../clock';
import type { JwsAlgorithm, KeyAlgorithm } from '../algorithms';
import type { KeyVersion, VersionStore } from './key-store';
import { computePhases, type PhasedKey, type PhasePolicy } from './phases';

/** When a version is (or was) the one in charge: it signs, or for the encryption key it is the one tokens are encrypted to. */
export interface ActiveWindow {
  /** Unix seconds from which the version is active (nbf, else created). */
  readonly activeFrom: number;
  /** Unix seconds at which its successor took (or takes) over; undefined while it has none. */
  readonly activeUntil?: number;
}

/** What the ring caches per version: the version, its window, and whatever the hot path needs prebuilt. */
export interface RingEntry<A extends KeyAlgorithm = JwsAlgorithm> extends ActiveWindow {
  readonly version: KeyVersion<A>;
}

/** Builds the cached form of a version once (key objects are made once per version, never per token). */
export interface RingKeyFactory<A extends KeyAlgorithm, K extends RingEntry<A>> {
  /** `previous` is the key cached for this version before, when it is built again (see `rebuild`). */
  build(version: KeyVersion<A>, window: ActiveWindow, previous?: K): Promise<K>;
  /** Whether a cached key must be built again for this listing of its version (default: never, versions are immutable). */
  rebuild?(cached: K, version: KeyVersion<A>): boolean;
  /** The cached key brought up to this listing (default: the same key with the listed version and its window). */
  relist?(cached: K, version: KeyVersion<A>, window: ActiveWindow): K;
}

export interface RingOptions<A extends KeyAlgorithm = JwsAlgorithm> extends PhasePolicy<A> {
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
 * The cached view of one key's versions — the signing key's (KeyRing) or the encryption key's
 * (EncryptionKeyRing). The hot path reads only this cache: single-flight listings, a background
 * refresh every `refreshIntervalMs`, and an unknown kid refreshes at most once per cool-down.
 */
export class VersionRing<A extends KeyAlgorithm, K extends RingEntry<A>> {
  private versions: KeyVersion<A>[] = [];
  private readonly keys = new Map<string, K>();
  private loadedAtMs: number | undefined;
  private inFlight: Promise<void> | undefined;
  private lastUnknownKidRefreshMs = Number.NEGATIVE_INFINITY;
  private lastError: string | undefined;
  private refreshCount = 0;

  constructor(
    private readonly store: Pick<VersionStore<A>, 'listVersions'>,
    protected readonly clock: Clock,
    private readonly options: RingOptions<A>,
    private readonly factory: RingKeyFactory<A, K>,
    private readonly logger?: Logger,
    /** Told of the phases after every successful listing (telemetry counts phase changes). */
    private readonly onListed?: (phased: PhasedKey<A>[]) => void,
  ) {}

  get policy(): PhasePolicy<A> {
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
        const window: ActiveWindow = { activeFrom: phased?.activatesAt ?? version.created, activeUntil: phased?.retiresAt };
        const cached = this.keys.get(version.kid);
        if (!cached || this.factory.rebuild?.(cached, version)) this.keys.set(version.kid, await this.factory.build(version, window, cached));
        else this.keys.set(version.kid, this.factory.relist?.(cached, version, window) ?? { ...cached, version, ...window });
      }
      this.versions = listed;
      this.loadedAtMs = this.clock.nowMs();
      this.lastError = undefined;
      this.refreshCount += 1;
      this.onListed?.(this.phases());
    } catch (error: unknown) {
      this.lastError = describeError(error);
      this.logger?.log('warn', 'keyring.refresh_failed', { error: this.lastError });
      throw error;
    }
  }

  /** The key a token names, from the cache only (the hot path). */
  get(kid: string): K | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key a token names; an unknown kid refreshes the ring at most once per cool-down, so a flood
   * of random kids costs at most one listing per cool-down.
   */
  async resolve(kid: string): Promise<K | undefined> {
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

  phases(): PhasedKey<A>[] {
    return computePhases(this.versions, nowSeconds(this.clock), this.policy);
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

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const failure = (error as { failure?: unknown }).failure;
    return typeof failure === 'string' ? `${error.name}:${failure}` : error.name;
  }
  return typeof error;
}
