import { app } from '@azure/functions';
import { ServiceError } from '../src/errors';
import { requireJsonObject } from '../src/http/body';
import { emergencyRotate, scheduleNextKey } from '../src/rotation/rotate';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/keys/rotate (admin). `{ "emergency": false }` announces the next key now (it signs after
 * the propagation delay); `{ "emergency": true, "reason": "…" }` replaces the active key at once and
 * disables it, so every token it signed stops verifying. `"use": "enc"` does the same to the
 * encryption key (an emergency then makes every token encrypted to the old key unreadable).
 */
export const rotateKeysNowHandler = httpHandler('admin', async ({ request, services, caller }) => {
  const body = requireJsonObject(await readBody(request, services.config.limits.maxBodyBytes));
  if (body.emergency !== undefined && typeof body.emergency !== 'boolean') {
    throw new ServiceError('invalid_request', '"emergency" must be true or false.');
  }
  if (body.use !== undefined && body.use !== 'sig' && body.use !== 'enc') throw new ServiceError('invalid_request', '"use" must be "sig" (the signing key, the default) or "enc" (the encryption key).');
  const rotation = body.use === 'enc' ? services.encryption.rotation : services.rotation;
  if (body.emergency === true) {
    if (typeof body.reason !== 'string' || body.reason.trim().length < 3 || body.reason.length > 500) {
      throw new ServiceError('invalid_request', 'An emergency rotation needs a "reason" (3 to 500 characters).');
    }
    const result = await emergencyRotate(rotation, body.reason.trim(), caller.id);
    return json(200, { emergency: true, kid: result.kid, disabled: result.disabled });
  }
  const next = await scheduleNextKey(rotation);
  return json(200, { emergency: false, kid: next.kid, activates: new Date(next.activates * 1000).toISOString(), created: next.created });
});

app.http('rotateKeysNow', { methods: ['POST'], route: 'keys/rotate', authLevel: 'anonymous', handler: rotateKeysNowHandler });
