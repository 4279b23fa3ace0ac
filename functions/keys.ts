import { app } from '@azure/functions';
import { describeKeyRing } from '../src/keys/key-listing';
import { httpHandler, json } from './shared/http';
import './shared/startup';

/** GET /api/keys (admin): every version with its phase and the dates it changes phase. */
export const keysHandler = httpHandler('admin', async ({ services }) => {
  await services.ring.ready();
  return json(200, { alg: services.config.alg, store: services.store.kind, keys: describeKeyRing(services.ring.phases()) });
});

app.http('keys', { methods: ['GET'], route: 'keys', authLevel: 'anonymous', handler: keysHandler });
