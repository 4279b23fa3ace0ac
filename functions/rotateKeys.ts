import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../src/app/services';
import { rotateKeys } from '../src/rotation/rotate';
import './shared/startup';

/**
 * Timer (`%ROTATION_SCHEDULE%`, UTC): announces the next key `ROTATION_PROPAGATION` before the active
 * one reaches `ROTATION_INTERVAL` and disables keys whose retention is over — for the signing key,
 * then the encryption key (one failing does not stop the other). Idempotent; runOnStartup stays
 * false so scale-out and restarts do not trigger extra runs.
 */
export async function rotateKeysTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const runs = [
    { key: 'sig', rotation: services.rotation },
    { key: 'enc', rotation: services.encryption.rotation },
  ];
  const failures: Error[] = [];
  for (const { key, rotation } of runs) {
    try {
      context.log(JSON.stringify({ message: 'rotation.run', key, ...(await rotateKeys(rotation, 'timer')) }));
    } catch (error: unknown) {
      failures.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  if (failures.length > 0) throw failures[0];
}

app.timer('rotateKeys', { schedule: '%ROTATION_SCHEDULE%', runOnStartup: false, handler: rotateKeysTimer });
