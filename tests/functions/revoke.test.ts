import { randomUUID } from 'node:crypto';
import { revokeHandler } from '../../functions/revoke';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { getServices } from '../../src/app/services';
import { answer, context, outcome, post, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/**
 * POST /api/revoke (RFC 7009) in process: a token this service issued is revoked for the caller it
 * was issued to or one that may verify its audience; anything else is answered 200 with no effect,
 * so the endpoint reveals nothing about tokens. Bad input is a 4xx.
 */
const revoke = (body: unknown, headers?: Record<string, string>): ReturnType<typeof revokeHandler> => revokeHandler(post('revoke', body, headers), context('revoke'));
async function signed(claims: Record<string, unknown>, headers?: Record<string, string>): Promise<string> {
  const response = await signHandler(post('sign', { claims }, headers), context('sign'));
  expect(response.status ?? 200).toBe(200);
  return (answer(response) as { token: string }).token;
}
async function judged(token: string, headers?: Record<string, string>): Promise<unknown> {
  const verdict = answer(await verifyHandler(post('verify', { token }, headers), context('verify')));
  return verdict.active === true ? 'active' : verdict.error;
}

/** The app as if no revocation store were configured, for one call. */
async function withoutRevocationStore<T>(run: () => Promise<T>): Promise<T> {
  const services = await getServices();
  const saved = services.revocationService;
  services.revocationService = undefined;
  try {
    return await run();
  } finally {
    services.revocationService = saved;
  }
}

describe('POST /api/revoke for the local developer', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp();
  });
  afterAll(() => app.close());

  it('revokes a token it issued: 200 with no body, never cached, and the token verifies revoked from then on', async () => {
    const token = await signed({ sub: 'alice', aud: 'api://orders' });
    expect(await judged(token)).toBe('active');
    const response = await revoke({ token, token_type_hint: 'access_token' });
    expect([response.status, response.body, response.jsonBody, response.headers]).toEqual([200, undefined, undefined, { 'Cache-Control': 'no-store' }]);
    expect(await judged(token)).toBe('revoked');
    // Revoking it again changes nothing.
    expect(outcome(await revoke({ token }))).toBe('200');
  });

  it('takes the RFC 7009 form encoding too', async () => {
    const token = await signed({ aud: 'api://orders' });
    expect(outcome(await revokeHandler(post('revoke', `token=${token}`, { 'content-type': 'application/x-www-form-urlencoded' }), context('revoke')))).toBe('200');
    expect(await judged(token)).toBe('revoked');
  });

  it('answers 200 with no effect for a token it can not recognise: forged, malformed, foreign', async () => {
    const token = await signed({ aud: 'api://orders' });
    const [header, payload] = token.split('.');
    for (const other of [`${header}.${payload}.${'A'.repeat(342)}`, 'not-a-token', 'a.b.c', `${header}.${payload}`]) expect([other, outcome(await revoke({ token: other }))]).toEqual([other, '200']);
    expect(await judged(token)).toBe('active');
  });

  it('audits a refusal by its code and a revocation by jti, never the token', async () => {
    const services = await getServices();
    const lines: Array<Record<string, unknown> | undefined> = [];
    const spy = jest.spyOn(services.logger, 'log').mockImplementation((_level, _message, fields) => lines.push(fields));
    try {
      const token = await signed({ sub: 'bob', aud: 'api://orders' });
      lines.length = 0;
      await revoke({ token: 'a.b.c' });
      await revoke({ token });
      expect(lines).toEqual([
        expect.objectContaining({ operation: 'revoke', outcome: 'failure', code: 'malformed' }),
        expect.objectContaining({ operation: 'revoke', outcome: 'success', jti: expect.any(String), subHash: services.hashSubject('bob') }),
      ]);
      expect(JSON.stringify(lines)).not.toContain(token.split('.')[1]);
      expect(JSON.stringify(lines)).not.toContain('bob');
    } finally {
      spy.mockRestore();
    }
  });

  it.each([
    ['no token', {}, '400 invalid_request'],
    ['a token that is not a string', { token: 42 }, '400 invalid_request'],
    ['a token_type_hint that is not a string', { token: 'a.b.c', token_type_hint: 1 }, '400 invalid_request'],
    ['a body that is not an object', '[1]', '400 invalid_request'],
    ['broken JSON', '{"token":', '400 invalid_json'],
  ])('refuses %s with its 4xx', async (_name, body, expected) => {
    expect(outcome(await revoke(body))).toBe(expected);
  });

  it('refuses media types other than JSON and the form (415)', async () => {
    expect(outcome(await revoke('token=x', { 'content-type': 'text/plain' }))).toBe('415 unsupported_media_type');
  });

  it('answers 503 revocation_unavailable with Retry-After when no revocation store is configured', async () => {
    const token = await signed({ aud: 'api://orders' });
    const response = await withoutRevocationStore(() => revoke({ token }));
    expect([outcome(response), (response.headers as Record<string, string>)['Retry-After']]).toEqual(['503 revocation_unavailable', '60']);
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await revoke({ token: 'a.b.c' }, { host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('POST /api/revoke with Entra callers', () => {
  const orders = randomUUID();
  const billing = randomUUID();
  const ordersVerifier = randomUUID();
  const signOnly = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({
      [orders]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'] },
      [billing]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://billing'] },
      [ordersVerifier]: { operations: ['verify', 'revoke'], audiences: ['api://orders'] },
      [signOnly]: { operations: ['sign'], audiences: ['api://orders'] },
    });
  });
  afterAll(() => app.close());

  it('refuses a caller without the revoke operation (403) and an anonymous one (401)', async () => {
    expect(outcome(await revoke({ token: 'a.b.c' }, app.as(signOnly)))).toBe('403 forbidden');
    expect(outcome(await revoke({ token: 'a.b.c' }))).toBe('401 unauthorized');
  });

  it('leaves another caller\'s token for another audience alone, and says 200 all the same', async () => {
    const token = await signed({ aud: 'api://orders' }, app.as(orders));
    expect(outcome(await revoke({ token }, app.as(billing)))).toBe('200');
    expect(await judged(token, app.as(orders))).toBe('active');
  });

  it('revokes for the caller it was issued to, and for a caller that may verify its audience', async () => {
    const own = await signed({ aud: 'api://orders' }, app.as(orders));
    await revoke({ token: own }, app.as(orders));
    expect(await judged(own, app.as(orders))).toBe('revoked');
    const addressed = await signed({ aud: 'api://orders' }, app.as(orders));
    await revoke({ token: addressed }, app.as(ordersVerifier));
    expect(await judged(addressed, app.as(orders))).toBe('revoked');
  });
});
