import { openapiHandler } from '../../functions/openapi';
import { answer, context, get, outcome, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/** GET /api/openapi.json in process: the document a Logic Apps custom connector or API Management imports. */
const fetchDocument = (headers?: Record<string, string>) => openapiHandler(get('openapi.json', headers), context('openapi'));

describe('GET /api/openapi.json', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ WEBSITE_HOSTNAME: 'jwt.contoso.example' });
  });
  afterAll(() => app.close());

  it('serves the document for this deployment\'s base URL (from the settings, not the Host header), cacheable for an hour', async () => {
    const response = await fetchDocument({ host: 'localhost:7071', 'x-forwarded-host': 'evil.example' });
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['Cache-Control']).toBe('public, max-age=3600');
    const document = answer(response) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.servers).toEqual([{ url: 'https://jwt.contoso.example/api' }]);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/sign', '/verify', '/revoke']));
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await fetchDocument({ host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('GET /api/openapi.json with Entra callers', () => {
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({});
  });
  afterAll(() => app.close());

  it('needs no caller token (a connector reads it before it has one)', async () => {
    expect((await fetchDocument()).status).toBe(200);
  });
});
