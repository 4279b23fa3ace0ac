import { app } from '@azure/functions';
import { describeKeyRing } from '../src/keys/key-listing';
import { httpHandler, json } from './shared/http';
import './shared/startup';

/** GET /api/keys (admin): every version of the signing key and of the encryption key, with its phase and the dates it changes phase. */
export const keysHandler = httpHandler('admin', async ({ services }) => {
  const { ring, encryption } = services;
  await Promise.all([ring.ready(), encryption.ring.ready()]);
  return json(200, {
    alg: services.config.alg,
    store: services.store.kind,
    keys: describeKeyRing(ring.phases()),
    encryption: { alg: encryption.ring.policy.alg, keys: describeKeyRing(encryption.ring.phases()) },
  });
});

app.http('keys', { methods: ['GET'], route: 'keys', authLevel: 'anonymous', handler: keysHandler });
