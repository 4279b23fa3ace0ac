import { app } from '@azure/functions';
import { buildJwks } from '../src/keys/jwks';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/** GET /api/.well-known/jwks.json: public keys of announced, active and retired versions. */
export const jwksHandler = publicHandler(async ({ services }) => {
  await services.ring.ready();
  return json(200, buildJwks(services.ring.phases()), {
    'Cache-Control': `public, max-age=${services.config.jwksMaxAgeSeconds}`,
  });
});

app.http('jwks', { methods: ['GET'], route: '.well-known/jwks.json', authLevel: 'anonymous', handler: jwksHandler });
