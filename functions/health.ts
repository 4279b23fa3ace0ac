import { app } from '@azure/functions';
import { buildHealthReport } from '../src/app/health';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/** GET /api/health: 200 when healthy or degraded (still serving), 503 when it can not sign. */
export const healthHandler = publicHandler(async ({ services }) => {
  await services.ring.ready().catch(() => undefined);
  const report = await buildHealthReport(services);
  return json(report.status === 'unhealthy' ? 503 : 200, report);
});

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: healthHandler });
