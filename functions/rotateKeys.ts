import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../src/app/services';
import { rotateKeys } from '../src/rotation/rotate';
import './shared/startup';

/**
 * Timer (`%ROTATION_SCHEDULE%`, UTC): announces the next key `ROTATION_PROPAGATION` before the active
 * one reaches `ROTATION_INTERVAL` and disables keys whose retention is over. Idempotent; runOnStartup
 * stays false so scale-out and restarts do not trigger extra runs.
 */
export async function rotateKeysTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const report = await rotateKeys(services.rotation, 'timer');
  context.log(JSON.stringify({ message: 'rotation.run', ...report }));
}

app.timer('rotateKeys', { schedule: '%ROTATION_SCHEDULE%', runOnStartup: false, handler: rotateKeysTimer });
