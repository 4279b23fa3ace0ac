import { openidConfigurationHandler } from '../../functions/openidConfiguration';
import { answer, context, get, ISSUER, outcome, useLocalApp, type LocalApp } from './in-process';

/** GET /api/.well-known/openid-configuration in process: the discovery document for APIM validate-jwt and JOSE libraries. */
const discovery = (headers?: Record<string, string>): ReturnType<typeof openidConfigurationHandler> =>
  openidConfigurationHandler(get('.well-known/openid-configuration', headers), context('openidConfiguration'));

describe('GET /api/.well-known/openid-configuration', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ WEBSITE_HOSTNAME: 'localhost:7071' });
  });
  afterAll(() => app.close());

  it('names the issuer and the JWKS, introspection and revocation endpoints under the configured base URL, never the Host header', async () => {
    const response = await discovery({ host: '127.0.0.1:9999' });
    expect(response.status).toBe(200);
    expect(answer(response)).toMatchObject({
      issuer: ISSUER,
      jwks_uri: 'http://localhost:7071/api/.well-known/jwks.json',
      introspection_endpoint: 'http://localhost:7071/api/verify',
      revocation_endpoint: 'http://localhost:7071/api/revoke',
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('may be cached for an hour by anyone (it changes only with the settings)', async () => {
    const response = await discovery();
    expect(response.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=3600' });
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await discovery({ host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('GET /api/.well-known/openid-configuration for HS256', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ JWT_ALG: 'HS256' });
  });
  afterAll(() => app.close());

  it('advertises no signing algorithm: HMAC tokens can not be checked by public verifiers', async () => {
    expect(answer(await discovery()).id_token_signing_alg_values_supported).toEqual([]);
  });
});
