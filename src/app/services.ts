import { randomBytes } from 'node:crypto';
import { consoleLogger, keyedSubjectHasher, type Logger, type SubjectHasher } from '../audit';
import type { Authenticator } from '../auth/caller';
import { EntraAuthenticator } from '../auth/entra-authenticator';
import { bindingDependencies, createReplayCache, type BindingDependencies } from '../binding/dependencies';
import type { ReplayCache } from '../binding/replay-cache';
import { LocalDeveloperAuthenticator } from '../auth/local-authenticator';
import { createRevocationService } from '../revocation/create-revocation-service';
import { nowSeconds, systemClock, type Clock } from '../clock';
import { loadConfig, type AppConfig } from '../config/settings';
import { KeyRing } from '../keys/key-ring';
import { EncryptionKeyRing } from '../keys/encryption-ring';
import type { EncryptionKeyStore, KeyStore } from '../keys/key-store';
import { AudienceKeys } from '../jwe/audience-keys';
import { ContentKeyCache } from '../jwe/content-key-cache';
import { createTokenEncryption, type TokenEncryption } from '../jwe/token-encryption';
import { noRevocations, type RevocationService, type RevocationView } from '../revocation/revocation';
import { EmbeddedKeyStore } from '../keys/embedded/embedded-key-store';
import { createEncryptionKeyStore, createKeyStore, keyVaultAttemptRecorder } from './key-store-factory';
import { FileLock, ProcessLock, type RotationLock } from '../rotation/lock';
import type { RotationDependencies } from '../rotation/rotate';
import { RotationStatus } from '../rotation/status';
import { ensureFirstVersion } from './bootstrap';
import { createTokenVerifier, type TokenVerifier } from './token-verifier';
import { createMetrics } from '../telemetry/create-metrics';
import type { Metrics } from '../telemetry/metrics';
import { createPhaseChangeTracker, ringReading } from '../telemetry/ring-reading';

/** Everything a handler needs, built once per process from the settings. */
export interface Services {
  config: AppConfig;
  clock: Clock;
  logger: Logger;
  store: KeyStore;
  ring: KeyRing;
  authenticator: Authenticator;
  revocations: RevocationView;
  revocationService?: RevocationService;
  verifier: TokenVerifier;
  /** Certificate- and DPoP-bound tokens: the shared DPoP replay cache and the proof rules. */
  binding: BindingDependencies;
  rotation: RotationDependencies;
  /** Encrypted tokens: the encryption key (its own store, ring and rotation) and sealing/opening JWEs. */
  encryption: EncryptionServices;
  /** The keyed hash of subjects in audit events (src/audit.ts). */
  hashSubject: SubjectHasher;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface EncryptionServices extends TokenEncryption {
  store: EncryptionKeyStore;
  ring: EncryptionKeyRing;
  rotation: RotationDependencies;
  audienceKeys: AudienceKeys;
}

export interface ServiceOverrides {
  clock?: Clock;
  logger?: Logger;
  store?: KeyStore;
  encryptionStore?: EncryptionKeyStore;
  authenticator?: Authenticator;
  revocationService?: RevocationService;
  rotationLock?: RotationLock;
  replayCache?: ReplayCache;
  metrics?: Metrics;
}

/** A rotation lock file older than this belonged to a run that died; runs take seconds. */
const STALE_ROTATION_LOCK_MS = 5 * 60 * 1000;
/** Unwrapped content keys kept per instance: about 100 bytes each, so a few MB at most. */
const MAX_CACHED_CONTENT_KEYS = 10_000;

/** Both key stores, opened side by side (in Key Vault each may check or create its key); the signing key's failure is the one reported first. */
async function openStores(config: AppConfig, clock: Clock, logger: Logger, metrics: Metrics, overrides: ServiceOverrides): Promise<[KeyStore, EncryptionKeyStore]> {
  const [signing, encryption] = await Promise.allSettled([
    overrides.store ? Promise.resolve(overrides.store) : createKeyStore(config, clock, logger, metrics),
    overrides.encryptionStore ? Promise.resolve(overrides.encryptionStore) : createEncryptionKeyStore(config, clock, metrics),
  ]);
  if (signing.status === 'rejected') throw signing.reason;
  if (encryption.status === 'rejected') throw encryption.reason;
  return [signing.value, encryption.value];
}

export async function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? consoleLogger;
  // First, so that the Azure Monitor distro (when Application Insights is configured) sees every client made after it.
  const metrics = overrides.metrics ?? (await createMetrics({ APPLICATIONINSIGHTS_CONNECTION_STRING: config.telemetry.connectionString, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: config.telemetry.authenticationString }, { clock, logger }));
  const [store, encryptionStore] = await openStores(config, clock, logger, metrics, overrides);
  const phaseChanges = createPhaseChangeTracker(metrics, 'sig');
  const ring = new KeyRing(store, clock, config.ring, logger, (phased) => phaseChanges.observe(phased));
  const encryptionPhaseChanges = createPhaseChangeTracker(metrics, 'enc');
  const encryptionRing = new EncryptionKeyRing(encryptionStore, clock, config.encryption.ring, logger, (phased) => encryptionPhaseChanges.observe(phased));
  const authenticator = overrides.authenticator ?? createAuthenticator(config, clock);
  // The revocation view, the key rings and the audit key load side by side: round trips to Table
  // Storage and Key Vault at start-up, not one after the other.
  const [revocationStart, ringLoad, encryptionRingLoad, auditKey] = await Promise.allSettled([
    overrides.revocationService ? Promise.resolve(overrides.revocationService) : createRevocationService(config, clock, logger),
    ring.ready(),
    encryptionRing.ready(),
    loadAuditKey(config, store, clock, metrics),
  ]);
  const failedRing = [ringLoad, encryptionRingLoad].find((load) => load.status === 'rejected');
  if (failedRing) {
    if (revocationStart.status === 'fulfilled' && !overrides.revocationService) await revocationStart.value?.close();
    throw failedRing.reason;
  }
  if (revocationStart.status === 'rejected') throw revocationStart.reason;
  if (auditKey.status === 'rejected') {
    await revocationStart.value?.close();
    throw auditKey.reason;
  }
  const revocationService = revocationStart.value;
  const rotationLock =
    overrides.rotationLock ??
    (store.kind === 'embedded' ? new FileLock(config.localKeystore.dir, STALE_ROTATION_LOCK_MS, () => systemClock.nowMs()) : new ProcessLock());
  await ensureFirstVersion(store, ring, clock, config.alg, logger, rotationLock);
  await ensureFirstVersion(encryptionStore, encryptionRing, clock, config.encryption.ring.alg, logger, rotationLock);
  const rotation: RotationDependencies = { store, ring, clock, logger, lock: rotationLock, status: new RotationStatus(), policy: config.rotation.policy, use: 'sig', metrics };
  const encryption = createEncryptionServices(config, { clock, logger, metrics }, encryptionStore, encryptionRing, rotationLock);
  metrics.observeRing(() => {
    const phased = ring.phases();
    phaseChanges.observe(phased);
    return ringReading(phased, nowSeconds(clock), ring.health());
  });
  metrics.observeRevocationView(() => {
    const stalenessMs = revocationService?.health().stalenessMs;
    return stalenessMs === undefined ? undefined : Math.round(stalenessMs / 1000);
  });
  const revocations = revocationService ?? noRevocations;
  // No I/O here: the replay table is created on the first DPoP proof.
  const replayCache = overrides.replayCache ?? (await createReplayCache(config, clock, logger));
  const stopRingRefresh = ring.refreshPeriodically();
  const stopEncryptionRingRefresh = encryptionRing.refreshPeriodically();
  return {
    config,
    clock,
    logger,
    store,
    ring,
    authenticator,
    revocations,
    revocationService,
    verifier: createTokenVerifier(config, ring, store, clock, revocations),
    binding: bindingDependencies(config, clock, replayCache),
    rotation,
    encryption,
    hashSubject: keyedSubjectHasher(auditKey.value),
    metrics,
    close: async () => {
      stopRingRefresh();
      stopEncryptionRingRefresh();
      await revocationService?.close();
      await replayCache.close?.();
      await metrics.shutdown();
    },
  };
}

/** The encryption key's rotation (same lock and timer as the signing key's) and the JWE sealing/opening over its ring. */
function createEncryptionServices(
  config: AppConfig,
  { clock, logger, metrics }: { clock: Clock; logger: Logger; metrics: Metrics },
  store: EncryptionKeyStore,
  ring: EncryptionKeyRing,
  lock: RotationLock,
): EncryptionServices {
  const audienceKeys = new AudienceKeys(config.encryption.audienceJwks, clock);
  // No content key outlives the longest a token can live; the opener shortens each to its token's exp.
  const cache = new ContentKeyCache(clock, { maxEntries: MAX_CACHED_CONTENT_KEYS, maxAgeMs: config.maxTtlMs + config.clockSkewMs });
  const tokens = createTokenEncryption({ ring, store, cache, clock, audienceKeys, maxTokenBytes: config.limits.maxTokenBytes, clockSkewSeconds: Math.floor(config.clockSkewMs / 1000) });
  const rotation: RotationDependencies = { store, ring, clock, logger, lock, status: new RotationStatus(), policy: config.encryption.rotationPolicy, use: 'enc', metrics };
  return { ...tokens, store, ring, rotation, audienceKeys };
}

/**
 * The key of audit hashes: sealed in the embedded store, derived from a Key Vault key in Azure. A
 * store of neither kind (a test double) gets a random key for the life of the process. The signing
 * key's store decides (the embedded encryption store shares its folder and at-rest key).
 */
async function loadAuditKey(config: AppConfig, store: KeyStore, clock: Clock, metrics: Metrics): Promise<Buffer> {
  if (store instanceof EmbeddedKeyStore) return store.auditKey();
  if (config.keyVaultUrl) {
    const { deriveAuditKey } = await import('../keys/keyvault/audit-key');
    return deriveAuditKey(config, clock, { observe: keyVaultAttemptRecorder(metrics) });
  }
  return randomBytes(32);
}

function createAuthenticator(config: AppConfig, clock: Clock): Authenticator {
  if (config.authMode === 'none') return new LocalDeveloperAuthenticator(config.audiences);
  // loadConfig guarantees both are set with AUTH_MODE=entra.
  return new EntraAuthenticator({
    tenantId: config.auth.tenantId ?? '',
    audience: config.auth.audience ?? '',
    authorityHost: config.auth.authorityHost,
    policy: config.auth.callerPolicy,
    clock,
  });
}

let settings: AppConfig | undefined;

/**
 * The process's settings, read once: the function files read them at import (so a bad or unsafe
 * setting stops the app from loading, with the setting's name) and the services are built from
 * the same object.
 */
export function processConfig(): AppConfig {
  settings ??= loadConfig(process.env);
  return settings;
}

let shared: Promise<Services> | undefined;

/**
 * The process-wide services, created on first use. A failure (e.g. Key Vault unreachable at the
 * first request) is not cached, so the next request tries again.
 */
export function getServices(): Promise<Services> {
  if (shared === undefined) {
    const building = createServices(processConfig());
    shared = building;
    building.catch(() => {
      if (shared === building) shared = undefined;
    });
  }
  return shared;
}

/** For tests and the embedded host's shutdown. */
export async function resetServices(): Promise<void> {
  const current = shared;
  shared = undefined;
  settings = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}
