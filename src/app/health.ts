import { nowSeconds } from '../clock';
import type { HealthCheck } from '../health-check';
import { rotationCheck } from '../rotation/health';
import type { Services } from './services';

export type { CheckStatus, HealthCheck } from '../health-check';

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  checks: Record<string, HealthCheck>;
}

/** A named check; rotation, revocation and others contribute their own. */
export type HealthContributor = (services: Services) => Promise<HealthCheck> | HealthCheck;

export function keyStoreCheck(services: Services): HealthCheck {
  const ring = services.ring.health();
  if (!ring.loaded) return { status: 'failing', kind: services.store.kind, detail: 'The key ring has not been loaded.', lastError: ring.lastError };
  const ageSeconds = Math.round((ring.ageMs ?? 0) / 1000);
  if (ring.lastError) {
    return { status: 'warning', kind: services.store.kind, ageSeconds, lastError: ring.lastError, detail: 'Serving cached keys; the last refresh failed.' };
  }
  return { status: 'ok', kind: services.store.kind, ageSeconds };
}

export function signingKeyCheck(services: Services): HealthCheck {
  const active = services.ring.phases().find((p) => p.phase === 'active');
  if (!active) return { status: 'failing', detail: 'No active signing key: signing answers 503.' };
  return { status: 'ok', kid: active.version.kid, alg: active.version.alg, activeSince: new Date(active.activatesAt * 1000).toISOString() };
}

/**
 * The key tokens are encrypted to. Without an active one the service still signs and verifies
 * plain tokens (degraded, not down): only `"encrypt": true` answers 503, and the other versions still open JWEs.
 */
export function encryptionKeyCheck(services: Services): HealthCheck {
  const ring = services.encryption.ring.health();
  const active = services.encryption.ring.current();
  if (!ring.loaded || !active) return { status: 'warning', detail: 'No active encryption key: "encrypt": true answers 503.', lastError: ring.lastError };
  const since = new Date(active.activeFrom * 1000).toISOString();
  if (ring.lastError) return { status: 'warning', kid: active.version.kid, activeSince: since, lastError: ring.lastError, detail: 'Serving cached encryption keys; the last refresh failed.' };
  return { status: 'ok', kid: active.version.kid, alg: active.version.alg, activeSince: since };
}

export function revocationCheck(services: Services): HealthCheck {
  const service = services.revocationService;
  if (!service) return { status: 'ok', detail: 'No revocation store configured.' };
  const health = service.health();
  // Not ready means verification answers 503 (fail closed); a failed sync within the bound is a warning.
  return {
    status: !health.ready ? 'failing' : health.detail?.includes('storage error') ? 'warning' : 'ok',
    stalenessSeconds: health.stalenessMs === undefined ? undefined : Math.round(health.stalenessMs / 1000),
    detail: health.detail,
  };
}

export const defaultContributors: Record<string, HealthContributor> = {
  keyStore: keyStoreCheck,
  signingKey: signingKeyCheck,
  revocation: revocationCheck,
  rotation: (services) =>
    rotationCheck({ phased: services.ring.phases(), policy: services.config.rotation.policy, status: services.rotation.status, now: nowSeconds(services.clock) }),
  encryptionKey: encryptionKeyCheck,
  encryptionRotation: ({ encryption, clock }) =>
    rotationCheck({ phased: encryption.ring.phases(), policy: encryption.rotation.policy, status: encryption.rotation.status, now: nowSeconds(clock) }),
};

export async function buildHealthReport(
  services: Services,
  contributors: Record<string, HealthContributor> = defaultContributors,
): Promise<HealthReport> {
  const checks: Record<string, HealthCheck> = {};
  for (const [name, contributor] of Object.entries(contributors)) {
    try {
      checks[name] = await contributor(services);
    } catch (error: unknown) {
      checks[name] = { status: 'failing', detail: error instanceof Error ? error.name : 'check failed' };
    }
  }
  const statuses = Object.values(checks).map((c) => c.status);
  const status = statuses.includes('failing') ? 'unhealthy' : statuses.includes('warning') ? 'degraded' : 'healthy';
  return { status, checks };
}
