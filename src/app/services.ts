import { consoleLogger, type Logger } from '../audit';
import type { Authenticator } from '../auth/caller';
import { EntraAuthenticator } from '../auth/entra-authenticator';
import { LocalDeveloperAuthenticator } from '../auth/local-authenticator';
import { createRevocationService } from '../revocation/create-revocation-service';
import { systemClock, type Clock } from '../clock';
import { loadConfig, type AppConfig } from '../config/settings';
import { KeyRing } from '../keys/key-ring';
import { EncryptionKeyRing } from '../keys/encryption-ring';
import type { EncryptionKeyStore, KeyStore } from '../keys/key-store';
import { AudienceKeys } from '../jwe/audience-keys';
import { ContentKeyCache } from '../jwe/content-key-cache';
import { createTokenEncryption, type TokenEncryption } from '../jwe/token-encryption';
import { noRevocations, type RevocationService, type RevocationView } from '../revocation/revocation';
import { createEncryptionKeyStore, createKeyStore } from './key-store-factory';
import { FileLock, ProcessLock, type RotationLock } from '../rotation/lock';
import type { RotationDependencies } from '../rotation/rotate';
import { RotationStatus } from '../rotation/status';
import { ensureFirstVersion } from './bootstrap';
import { createTokenVerifier, type TokenVerifier } from './token-verifier';

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
  rotation: RotationDependencies;
  /** Encrypted tokens: the encryption key (its own store, ring and rotation) and sealing/opening JWEs. */
  encryption: EncryptionServices;
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
}

/** A rotation lock file older than this belonged to a run that died; runs take seconds. */
const STALE_ROTATION_LOCK_MS = 5 * 60 * 1000;
/** Unwrapped content keys kept per instance: about 100 bytes each, so a few MB at most. */
const MAX_CACHED_CONTENT_KEYS = 10_000;

/** Both key stores, opened side by side (in Key Vault each may check or create its key); the signing key's failure is the one reported first. */
async function openStores(config: AppConfig, clock: Clock, overrides: ServiceOverrides): Promise<[KeyStore, EncryptionKeyStore]> {
  const [signing, encryption] = await Promise.allSettled([
    overrides.store ? Promise.resolve(overrides.store) : createKeyStore(config, clock),
    overrides.encryptionStore ? Promise.resolve(overrides.encryptionStore) : createEncryptionKeyStore(config, clock),
  ]);
  if (signing.status === 'rejected') throw signing.reason;
  if (encryption.status === 'rejected') throw encryption.reason;
  return [signing.value, encryption.value];
}

export async function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? consoleLogger;
  const [store, encryptionStore] = await openStores(config, clock, overrides);
  const ring = new KeyRing(store, clock, config.ring, logger);
  const encryptionRing = new EncryptionKeyRing(encryptionStore, clock, config.encryption.ring, logger);
  const authenticator = overrides.authenticator ?? createAuthenticator(config, clock);
  // The revocation view and the key rings load side by side: one round trip each (Table Storage,
  // Key Vault) at start-up, at the same time.
  const [revocationStart, ringLoad, encryptionRingLoad] = await Promise.allSettled([
    overrides.revocationService ? Promise.resolve(overrides.revocationService) : createRevocationService(config, clock, logger),
    ring.ready(),
    encryptionRing.ready(),
  ]);
  const failedRing = [ringLoad, encryptionRingLoad].find((load) => load.status === 'rejected');
  if (failedRing) {
    if (revocationStart.status === 'fulfilled' && !overrides.revocationService) await revocationStart.value?.close();
    throw failedRing.reason;
  }
  if (revocationStart.status === 'rejected') throw revocationStart.reason;
  const revocationService = revocationStart.value;
  const rotationLock =
    overrides.rotationLock ??
    (store.kind === 'embedded' ? new FileLock(config.localKeystore.dir, STALE_ROTATION_LOCK_MS, () => Date.now()) : new ProcessLock());
  await ensureFirstVersion(store, ring, clock, config.alg, logger, rotationLock);
  await ensureFirstVersion(encryptionStore, encryptionRing, clock, config.encryption.ring.alg, logger, rotationLock);
  const rotation: RotationDependencies = { store, ring, clock, logger, lock: rotationLock, status: new RotationStatus(), policy: config.rotation.policy };
  const encryption = createEncryptionServices(config, clock, logger, encryptionStore, encryptionRing, rotationLock);
  const revocations = revocationService ?? noRevocations;
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
    rotation,
    encryption,
    close: async () => {
      stopRingRefresh();
      stopEncryptionRingRefresh();
      await revocationService?.close();
    },
  };
}

/** The encryption key's rotation (same lock and timer as the signing key's) and the JWE sealing/opening over its ring. */
function createEncryptionServices(config: AppConfig, clock: Clock, logger: Logger, store: EncryptionKeyStore, ring: EncryptionKeyRing, lock: RotationLock): EncryptionServices {
  const audienceKeys = new AudienceKeys(config.encryption.audienceJwks, clock);
  // No content key outlives the longest a token can live; the opener shortens each to its token's exp.
  const cache = new ContentKeyCache(clock, { maxEntries: MAX_CACHED_CONTENT_KEYS, maxAgeMs: config.maxTtlMs + config.clockSkewMs });
  const tokens = createTokenEncryption({ ring, store, cache, clock, audienceKeys, maxTokenBytes: config.limits.maxTokenBytes, clockSkewSeconds: Math.floor(config.clockSkewMs / 1000) });
  const rotation: RotationDependencies = { store, ring, clock, logger, lock, status: new RotationStatus(), policy: config.encryption.rotationPolicy };
  return { ...tokens, store, ring, rotation, audienceKeys };
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
