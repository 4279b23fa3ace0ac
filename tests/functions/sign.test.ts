import { randomUUID } from 'node:crypto';
import { signHandler } from '../../functions/sign';
import { getServices } from '../../src/app/services';
import { answer, AUDIENCES, context, ISSUER, outcome, post, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/**
 * POST /api/sign in process: what it returns, the server-owned claims, and every bad input a clear
 * 4xx with its stable code (never a 5xx); with Entra, only what the caller's policy allows.
 */
const sign = (body: unknown, headers?: Record<string, string>): ReturnType<typeof signHandler> => signHandler(post('sign', body, headers), context('sign'));
const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const headerOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

describe('POST /api/sign for the local developer', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ JWT_DEFAULT_TTL: 'PT10M', JWT_MAX_TTL: 'PT1H' });
  });
  afterAll(() => app.close());

  it('answers { token, kid, alg, jti, issuedAt, expiresAt } for a token with the server-owned claims, never cached', async () => {
    const response = await sign({ claims: { sub: 'alice', aud: 'api://orders', role: 'reader' } });
    expect(response.status).toBe(200);
    expect((response.headers as Record<string, string>)['Cache-Control']).toBe('no-store');
    const body = answer(response) as { token: string; kid: string; alg: string; jti: string; issuedAt: number; expiresAt: number };
    expect(Object.keys(body).sort()).toEqual(['alg', 'expiresAt', 'issuedAt', 'jti', 'kid', 'token']);
    expect(headerOf(body.token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: body.kid });
    expect(payloadOf(body.token)).toEqual({ iss: ISSUER, sub: 'alice', aud: 'api://orders', azp: 'local-developer', iat: body.issuedAt, nbf: body.issuedAt, exp: body.expiresAt, jti: body.jti, role: 'reader' });
    expect(body.expiresAt - body.issuedAt).toBe(600); // JWT_DEFAULT_TTL
    expect(body.alg).toBe('RS256');
  });

  it('honours ttlSeconds up to JWT_MAX_TTL', async () => {
    const body = answer(await sign({ claims: { aud: 'api://orders' }, ttlSeconds: 3600 })) as { issuedAt: number; expiresAt: number };
    expect(body.expiresAt - body.issuedAt).toBe(3600);
  });

  it.each([
    ['a body that is not an object', [1, 2], '400 invalid_request'],
    ['an empty body', '', '400 invalid_request'],
    ['broken JSON', '{"claims":', '400 invalid_json'],
    ['no claims', {}, '400 invalid_claims'],
    ['claims without aud', { claims: { sub: 'a' } }, '400 invalid_claims'],
    ['a server-owned claim', { claims: { aud: 'api://orders', iss: 'https://evil.example' } }, '400 reserved_claim'],
    ['a cnf of neither accepted shape', { claims: { aud: 'api://orders', cnf: { jkt: 'x' } } }, '400 invalid_claims'],
    ['an audience not in JWT_AUDIENCES', { claims: { aud: 'api://payroll' } }, '403 audience_not_allowed'],
    ['a fractional ttlSeconds', { claims: { aud: 'api://orders' }, ttlSeconds: 1.5 }, '400 invalid_ttl'],
    ['a string ttlSeconds', { claims: { aud: 'api://orders' }, ttlSeconds: '60' }, '400 invalid_ttl'],
    ['a ttlSeconds over JWT_MAX_TTL', { claims: { aud: 'api://orders' }, ttlSeconds: 3601 }, '400 invalid_ttl'],
    ['nbf after the token expires', { claims: { aud: 'api://orders', nbf: 4_000_000_000 } }, '400 invalid_claims'],
    ['encrypt that is not a boolean', { claims: { aud: 'api://orders' }, encrypt: 'yes' }, '400 invalid_request'],
  ])('refuses %s with its 4xx', async (_name, body, expected) => {
    expect(outcome(await sign(body))).toBe(expected);
  });

  it('refuses a body over the size limit (413) and any media type but JSON (415)', async () => {
    expect(outcome(await sign({ claims: { aud: 'api://orders', blob: 'x'.repeat(70_000) } }))).toBe('413 payload_too_large');
    expect(outcome(await sign(JSON.stringify({ claims: { aud: 'api://orders' } }), { 'content-type': 'application/x-www-form-urlencoded' }))).toBe('415 unsupported_media_type');
  });

  it('counts a success by algorithm and caller, a failure by its code', async () => {
    const count = async (name: string, attribute: string, value: string): Promise<number> =>
      (await getServices()).metrics.snapshot().series.filter((s) => s.name === name && s.attributes[attribute] === value).reduce((sum, s) => sum + s.count, 0);
    const [signed, refused] = [await count('kvjwt.tokens.signed', 'kvjwt.caller', 'local-developer'), await count('kvjwt.sign.failures', 'error.type', 'reserved_claim')];
    await sign({ claims: { aud: 'api://orders' } });
    await sign({ claims: { aud: 'api://orders', jti: 'mine' } });
    expect([await count('kvjwt.tokens.signed', 'kvjwt.caller', 'local-developer'), await count('kvjwt.sign.failures', 'error.type', 'reserved_claim')]).toEqual([signed + 1, refused + 1]);
  });

  it('audits a success with the subject hashed, never the subject or the token', async () => {
    const services = await getServices();
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const spy = jest.spyOn(services.logger, 'log').mockImplementation((_level, message, fields) => lines.push([message, fields]));
    try {
      const body = answer(await sign({ claims: { sub: 'alice@contoso.example', aud: 'api://orders' } })) as { token: string; jti: string; kid: string };
      expect(lines).toEqual([['audit.sign', expect.objectContaining({ operation: 'sign', outcome: 'success', caller: 'local-developer', jti: body.jti, kid: body.kid, subHash: services.hashSubject('alice@contoso.example') })]]);
      expect(JSON.stringify(lines)).not.toContain('alice');
      expect(JSON.stringify(lines)).not.toContain(body.token.split('.')[2]);
    } finally {
      spy.mockRestore();
    }
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await sign({ claims: { aud: 'api://orders' } }, { host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('POST /api/sign with Entra callers', () => {
  const logicApp = randomUUID();
  const verifier = randomUUID();
  const admin = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({
      [logicApp]: { operations: ['sign'], audiences: ['api://orders'], maxTtl: 'PT5M', claims: ['role'] },
      [verifier]: { operations: ['verify'], audiences: [...AUDIENCES] },
      [admin]: { operations: ['admin'], audiences: [...AUDIENCES] },
    });
  });
  afterAll(() => app.close());

  it('signs for a caller with the sign operation, with its object id as azp and its own lifetime as the default', async () => {
    const body = answer(await sign({ claims: { sub: 'order-42', aud: 'api://orders', role: 'buyer' } }, app.as(logicApp))) as { token: string; issuedAt: number; expiresAt: number };
    expect(payloadOf(body.token)).toMatchObject({ azp: logicApp, aud: 'api://orders', role: 'buyer' });
    expect(body.expiresAt - body.issuedAt).toBe(300);
  });

  it('refuses what the caller policy does not allow: the operation, an audience, a claim, a longer lifetime', async () => {
    expect(outcome(await sign({ claims: { aud: 'api://orders' } }))).toBe('401 unauthorized');
    expect(outcome(await sign({ claims: { aud: 'api://orders' } }, app.as(verifier)))).toBe('403 forbidden');
    expect(outcome(await sign({ claims: { aud: 'api://orders' } }, app.as(admin)))).toBe('403 forbidden');
    expect(outcome(await sign({ claims: { aud: 'api://billing' } }, app.as(logicApp)))).toBe('403 audience_not_allowed');
    expect(outcome(await sign({ claims: { aud: 'api://orders', admin: true } }, app.as(logicApp)))).toBe('403 claim_not_allowed');
    expect(outcome(await sign({ claims: { aud: 'api://orders' }, ttlSeconds: 301 }, app.as(logicApp)))).toBe('403 ttl_not_allowed');
  });
});
