import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey, createHmac } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startHost, type RunningHost } from '../support/host';

/**
 * Issue 3 end to end: the embedded host over real HTTP on a free port, the embedded key store in a
 * temporary folder, and a verifier that is not ours (jose) reading our JWKS.
 */
const AUDIENCE = 'api://orders';
const ISSUER = 'https://jwt.test/api';
let keyDir: string;
let host: RunningHost;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AUTH_MODE: 'none',
    LOCAL_KEYSTORE_DIR: keyDir,
    LOCAL_KEYSTORE_SECRET: 'correct horse battery staple',
    JWT_AUDIENCES: `${AUDIENCE},api://billing`,
    JWT_CLOCK_SKEW: 'PT1S',
    JWT_ISSUER: ISSUER,
    ...extra,
  };
}

async function post(path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${host.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function sign(claims: Record<string, unknown>, ttlSeconds?: number): Promise<string> {
  const answer = await post('/api/sign', { claims, ttlSeconds });
  expect(answer.status).toBe(200);
  return answer.body.token as string;
}

async function verify(token: string, audience?: string): Promise<Record<string, unknown>> {
  const answer = await post('/api/verify', { token, audience });
  expect(answer.status).toBe(200);
  return answer.body;
}

function segments(token: string): [string, string, string] {
  const [h, p, s] = token.split('.');
  return [h, p, s];
}

function json(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString()) as Record<string, unknown>;
}

beforeAll(async () => {
  keyDir = mkdtempSync(join(tmpdir(), 'kvjwt-e2e-'));
  host = await startHost({ env: env() });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('sign and verify over HTTP', () => {
  it('signs a token that verifies as active, with server-owned claims', async () => {
    const answer = await post('/api/sign', { claims: { sub: 'alice', aud: AUDIENCE, role: 'reader' }, ttlSeconds: 120 });
    expect(answer.status).toBe(200);
    const { token, kid, alg, jti, issuedAt, expiresAt } = answer.body as Record<string, never>;
    expect(alg).toBe('RS256');
    expect(expiresAt - issuedAt).toBe(120);
    expect(String(jti).length).toBeGreaterThanOrEqual(22); // 128 bits
    const [h, p] = segments(token);
    expect(json(h)).toEqual({ alg: 'RS256', typ: 'JWT', kid });
    expect(json(p)).toMatchObject({ iss: ISSUER, sub: 'alice', aud: AUDIENCE, role: 'reader', jti, iat: issuedAt, nbf: issuedAt, exp: expiresAt });
    expect(String(kid)).toMatch(/^[A-Za-z0-9_-]+$/);
    const verified = await verify(token);
    expect(verified).toMatchObject({ active: true, sub: 'alice', aud: AUDIENCE, role: 'reader', jti });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts the RFC 7662 form body', async () => {
    const token = await sign({ sub: 'bob', aud: AUDIENCE });
    const answer = await post('/api/verify', `token=${encodeURIComponent(token)}`, 'application/x-www-form-urlencoded');
    expect(answer.body).toMatchObject({ active: true, sub: 'bob' });
  });

  it('verifies with a verifier that is not ours: jose reading our JWKS and discovery', async () => {
    const token = await sign({ sub: 'carol', aud: AUDIENCE });
    const discovery = (await (await fetch(`${host.baseUrl}/api/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(discovery.issuer).toBe(ISSUER);
    expect(discovery.jwks_uri).toBe(`http://localhost:${host.port}/api/.well-known/jwks.json`);
    const jwksUrl = new URL(discovery.jwks_uri);
    const local = new URL(`${host.baseUrl}${jwksUrl.pathname}`);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(local), { issuer: discovery.issuer, audience: AUDIENCE, algorithms: ['RS256'] });
    expect(payload.sub).toBe('carol');
    expect(protectedHeader.typ).toBe('JWT');
    const jwksResponse = await fetch(local);
    expect(jwksResponse.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const jwks = (await jwksResponse.json()) as { keys: Array<Record<string, unknown>> };
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    }
  });

  it.each([
    ['a tampered payload', async () => {
      const [h, , s] = segments(await sign({ sub: 'dave', aud: AUDIENCE }));
      return `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory', aud: AUDIENCE, exp: 9_999_999_999, iss: ISSUER })).toString('base64url')}.${s}`;
    }, 'bad_signature'],
    ['a not-yet-valid token', async () => sign({ sub: 'erin', aud: AUDIENCE, nbf: Math.floor(Date.now() / 1000) + 600 }), 'not_yet_valid'],
    ['alg none', async () => {
      const [, p] = segments(await sign({ sub: 'frank', aud: AUDIENCE }));
      return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    }, 'malformed'],
    ['HS256 signed with the public key', async () => {
      const token = await sign({ sub: 'grace', aud: AUDIENCE });
      const [h, p] = segments(token);
      const kid = json(h).kid as string;
      const jwks = (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      const jwk = jwks.keys.find((k) => k.kid === kid);
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
      const mac = createHmac('sha256', pem).update(`${header}.${p}`).digest('base64url');
      return `${header}.${p}.${mac}`;
    }, 'alg_mismatch'],
    ['an unknown kid', async () => {
      const [h, p, s] = segments(await sign({ sub: 'heidi', aud: AUDIENCE }));
      const header = Buffer.from(JSON.stringify({ ...json(h), kid: 'AAAAAAAAAAAAAAAAAAAAAA' })).toString('base64url');
      return `${header}.${p}.${s}`;
    }, 'unknown_key'],
  ])('reports %s as inactive with its reason', async (_name, makeToken, error) => {
    expect(await verify(await makeToken())).toEqual({ active: false, error });
  });

  it('reports the wrong audience when the caller names another one', async () => {
    const token = await sign({ sub: 'ivan', aud: AUDIENCE });
    expect(await verify(token, 'api://billing')).toEqual({ active: false, error: 'wrong_audience' });
  });

  it('reports an expired token', async () => {
    const token = await sign({ sub: 'judy', aud: AUDIENCE }, 1);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    expect(await verify(token)).toEqual({ active: false, error: 'expired' });
  });

  it('answers bad input with 4xx problem+json and a stable code, never 5xx', async () => {
    const cases: Array<[unknown, string, number, string]> = [
      ['{not json', 'application/json', 400, 'invalid_json'],
      [{ claims: { aud: AUDIENCE, iss: 'me' } }, 'application/json', 400, 'reserved_claim'],
      [{ claims: { aud: 'api://payroll' } }, 'application/json', 403, 'audience_not_allowed'],
      [{ claims: { aud: AUDIENCE }, ttlSeconds: 999_999 }, 'application/json', 400, 'invalid_ttl'],
      [{ claims: { aud: AUDIENCE }, ttlSeconds: -5 }, 'application/json', 400, 'invalid_ttl'],
      [{ claims: 'x' }, 'application/json', 400, 'invalid_claims'],
      [[1, 2], 'application/json', 400, 'invalid_request'],
      ['claims=x', 'text/plain', 415, 'unsupported_media_type'],
    ];
    for (const [body, type, status, code] of cases) {
      const answer = await post('/api/sign', body, type);
      expect({ status: answer.status, code: answer.body.code }).toEqual({ status, code });
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    const missing = await post('/api/verify', {});
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 400, code: 'invalid_request' });
    const huge = await post('/api/verify', { token: 'a'.repeat(70_000) });
    expect({ status: huge.status, code: huge.body.code }).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('lists the key ring and reports health', async () => {
    const keys = (await (await fetch(`${host.baseUrl}/api/keys`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.keys[0]).toMatchObject({ phase: 'active', alg: 'RS256', enabled: true });
    const health = await fetch(`${host.baseUrl}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toMatch(/healthy|degraded/);
  });

  it('keeps keys and tokens across a restart; a new issuer makes old tokens wrong_issuer', async () => {
    const token = await sign({ sub: 'kim', aud: AUDIENCE }, 600);
    await host.stop();
    host = await startHost({ env: env() });
    expect(await verify(token)).toMatchObject({ active: true, sub: 'kim' });
    await host.stop();
    host = await startHost({ env: env({ JWT_ISSUER: 'https://other.example/api' }) });
    expect(await verify(token)).toEqual({ active: false, error: 'wrong_issuer' });
  }, 60_000);
});
