import { app } from '@azure/functions';
import { buildDiscovery } from '../src/keys/jwks';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/** GET /api/.well-known/openid-configuration: issuer and jwks_uri for APIM validate-jwt and JOSE libraries. */
export const openidConfigurationHandler = publicHandler(({ services }) =>
  Promise.resolve(json(200, buildDiscovery(services.config), { 'Cache-Control': 'public, max-age=3600' })),
);

app.http('openidConfiguration', {
  methods: ['GET'],
  route: '.well-known/openid-configuration',
  authLevel: 'anonymous',
  handler: openidConfigurationHandler,
});
