import { app } from '@azure/functions';
import { openApiDocument } from '../src/http/openapi';
import { json, publicHandler } from './shared/http';
import './shared/startup';

/** GET /api/openapi.json: import into a Logic Apps custom connector or API Management. */
export const openapiHandler = publicHandler(({ services }) =>
  Promise.resolve(json(200, openApiDocument(services.config.apiBaseUrl), { 'Cache-Control': 'public, max-age=3600' })),
);

app.http('openapi', { methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous', handler: openapiHandler });
