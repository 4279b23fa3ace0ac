/** One named readiness check of /api/health: the key store, the signing key, revocation, rotation. */
export type CheckStatus = 'ok' | 'warning' | 'failing';

export interface HealthCheck {
  status: CheckStatus;
  detail?: string;
  [field: string]: unknown;
}
