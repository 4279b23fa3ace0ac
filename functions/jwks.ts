import { app } from '@azure/functions';
import { buildJwks } from '../src/keys/jwks';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/** GET /api/.well-known/jwks.json: public keys of announced, active and retired versions — signing keys (`use: "sig"`), then encryption keys (`use: "enc"`, the current one first). */
export const jwksHandler = publicHandler(async ({ services }) => {
  await Promise.all([services.ring.ready(), services.encryption.ring.ready()]);
  return json(200, buildJwks(services.ring.phases(), services.encryption.ring.phases()), {
    'Cache-Control': `public, max-age=${services.config.jwksMaxAgeSeconds}`,
  });
});

app.http('jwks', { methods: ['GET'], route: '.well-known/jwks.json', authLevel: 'anonymous', handler: jwksHandler });
