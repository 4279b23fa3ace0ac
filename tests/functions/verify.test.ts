import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { getServices } from '../../src/app/services';
import { ServiceError } from '../../src/errors';
import { useProcessSettings } from '../support/process-settings';

/**
 * The verify route in process, with the request and context objects of @azure/functions (what the
 * worker hands a handler), the embedded store and the shared Azurite.
 */
const context = (): InvocationContext => new InvocationContext({ functionName: 'verify', invocationId: 'test-invocation', logHandler: () => undefined });
const post = (body: string, headers: Record<string, string> = {}): HttpRequest =>
  new HttpRequest({ method: 'POST', url: 'http://127.0.0.1:7071/api/verify', headers: { host: '127.0.0.1:7071', 'content-type': 'application/json', ...headers }, body: { string: body } });
const verify = (body: unknown, headers?: Record<string, string>): Promise<HttpResponseInit> => verifyHandler(post(JSON.stringify(body), headers), context());
const answer = (response: HttpResponseInit): unknown => response.jsonBody ?? JSON.parse(response.body as string);

describe('POST /api/verify in process', () => {
  let dir: string;
  let token: string;
  let restore: () => Promise<void>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-verify-route-'));
    restore = await useProcessSettings({ AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders,api://billing', JWT_ISSUER: 'https://jwt.test/api', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING });
    const signed = await signHandler(post(JSON.stringify({ claims: { sub: 'route', aud: 'api://orders' } })), context());
    token = (signed.jsonBody as { token: string }).token;
  });
  afterAll(async () => {
    await restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers an active token with its claims, azp included', async () => {
    expect(answer(await verify({ token }))).toMatchObject({ active: true, sub: 'route', aud: 'api://orders', azp: 'local-developer' });
  });

  it('answers a forged token inactive, bad input with its 4xx', async () => {
    const [header, payload] = token.split('.');
    expect(answer(await verify({ token: `${header}.${payload}.${'A'.repeat(342)}` }))).toEqual({ active: false, error: 'bad_signature' });
    expect((await verify({ nottoken: 1 })).status).toBe(400);
  });

  it('answers an unknown key inactive after a (bounded) ring refresh', async () => {
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'f'.repeat(32) })).toString('base64url');
    expect(answer(await verify({ token: `${header}.${payload}.${signature}` }))).toEqual({ active: false, error: 'unknown_key' });
  });

  it('judges a token only for the requested audience; an empty audience is invalid, never "any"', async () => {
    expect(answer(await verify({ token, audience: 'api://orders' }))).toMatchObject({ active: true });
    expect(answer(await verify({ token, audience: 'api://billing' }))).toEqual({ active: false, error: 'wrong_audience' });
    expect(answer(await verify({ token, audience: 'api://not-issued' }))).toEqual({ active: false, error: 'wrong_audience' });
    const empty = await verify({ token, audience: '' });
    expect([empty.status, (answer(empty) as { code: string }).code]).toEqual([400, 'invalid_request']);
  });

  it('takes JSON or the RFC 7662 form, nothing else (415)', async () => {
    const form = await verifyHandler(post(`token=${token}`, { 'content-type': 'application/x-www-form-urlencoded' }), context());
    expect(answer(form)).toMatchObject({ active: true });
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', '']) {
      const refused = await verifyHandler(post(JSON.stringify({ token }), { 'content-type': type }), context());
      expect([type, refused.status]).toEqual([type, 415]);
    }
  });

  it('with AUTH_MODE=none answers only loopback hosts and loopback origins (DNS rebinding, cross-site pages)', async () => {
    for (const host of ['evil.example', 'evil.example:7071', '10.0.0.5:7071']) {
      const refused = await verify({ token }, { host });
      expect([host, refused.status, (answer(refused) as { code: string }).code]).toEqual([host, 403, 'loopback_only']);
    }
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example']) {
      const refused = await verify({ token }, { origin });
      expect([origin, refused.status]).toEqual([origin, 403]);
    }
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:7071', 'http://[::1]:8080']) {
      expect([origin, answer(await verify({ token }, { origin }))]).toEqual([origin, expect.objectContaining({ active: true })]);
    }
    for (const host of ['localhost:7071', '[::1]:7071', 'LOCALHOST']) {
      expect([host, answer(await verify({ token }, { host }))]).toEqual([host, expect.objectContaining({ active: true })]);
    }
  });

  it('answers 503 revocation_unavailable for a token the verified-token cache holds, and active again once the view is back', async () => {
    for (let i = 0; i < 3; i += 1) expect(answer(await verify({ token }))).toMatchObject({ active: true }); // cached by now
    const services = await getServices();
    const unavailable = jest.spyOn(services.revocations, 'isRevoked').mockImplementation(() => {
      throw new ServiceError('revocation_unavailable', 'The revocation list is out of date (storage unreachable).', { retryAfterSeconds: 10 });
    });
    try {
      const refused = await verify({ token });
      expect([refused.status, (answer(refused) as { code: string }).code]).toEqual([503, 'revocation_unavailable']);
      expect(unavailable).toHaveBeenCalled();
    } finally {
      unavailable.mockRestore();
    }
    expect(answer(await verify({ token }))).toMatchObject({ active: true });
  });
});
