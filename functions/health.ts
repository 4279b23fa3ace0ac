import { app } from '@azure/functions';
import { buildHealthReport } from '../src/app/health';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/**
 * GET /api/health: 200 when healthy or degraded (still serving), 503 when it can not sign or judge
 * revocations. Anyone gets the status; only an admin caller (a valid token with the `admin`
 * operation, or the local developer) gets the checks — revocation counts, error classes, the last
 * rotation error and key ids are not for anonymous eyes.
 */
export const healthHandler = publicHandler(async ({ request, services }) => {
  await services.ring.ready().catch(() => undefined);
  const report = await buildHealthReport(services);
  const status = report.status === 'unhealthy' ? 503 : 200;
  const admin = await services.authenticator.authenticate({ headers: request.headers }, 'admin').then(
    () => true,
    () => false,
  );
  // Admins also get the counters since this instance started (the same events Application Insights receives).
  return json(status, admin ? { ...report, metrics: services.metrics.snapshot() } : { status: report.status });
});

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: healthHandler });
