import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../src/app/services';
import './shared/startup';

/**
 * Timer, every 15 minutes: deletes revocations whose tokens have all expired, so the table (and
 * the in-memory view every instance keeps) only holds what can still matter.
 */
export async function cleanupRevocationsTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const removed = (await services.revocationService?.removeExpired()) ?? 0;
  context.log(JSON.stringify({ message: 'revocation.cleanup', removed }));
}

app.timer('cleanupRevocations', { schedule: '0 */15 * * * *', runOnStartup: false, handler: cleanupRevocationsTimer });
