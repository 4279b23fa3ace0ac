import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntraIssuer } from '../support/entra-issuer';
import { startHost, type RunningHost } from '../support/host';

/**
 * Issue 6 over real HTTP: two hosts in AUTH_MODE=entra share one key folder and one Azurite
 * (revocation table); a local stand-in for Entra issues the callers' managed identity tokens.
 */
const APP_AUDIENCE = 'api://kv-jwt-e2e';
const LOGIC_APP = randomUUID();
const ADMIN = randomUUID();
const VERIFIER = randomUUID();
const PAYROLL = randomUUID();
let issuer: EntraIssuer;
let dir: string;
let env: Record<string, string>;
let hosts: RunningHost[] = [];

async function call(host: RunningHost, path: string, oid: string | undefined, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (oid) headers.authorization = `Bearer ${issuer.token({ oid, audience: APP_AUDIENCE })}`;
  const response = await fetch(`${host.baseUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

async function sign(host: RunningHost, sub: string): Promise<string> {
  const answer = await call(host, '/api/sign', LOGIC_APP, { claims: { sub, aud: 'api://orders' } });
  expect(answer.status).toBe(200);
  return String(answer.body.token);
}

async function activeOn(host: RunningHost, token: string): Promise<unknown> {
  return (await call(host, '/api/verify', VERIFIER, { token })).body.active === true ? true : (await call(host, '/api/verify', VERIFIER, { token })).body.error;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-auth-'));
  env = {
    AUTH_MODE: 'entra',
    AUTH_TENANT_ID: issuer.tenantId,
    AUTH_AUDIENCE: APP_AUDIENCE,
    AUTH_AUTHORITY_HOST: issuer.baseUrl,
    AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true', // the local issuer is plain http on loopback
    CALLER_POLICY: JSON.stringify({
      [LOGIC_APP]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'], maxTtl: 'PT10M', claims: ['role'] },
      [ADMIN]: { operations: ['admin', 'verify'], verifyAudiences: ['api://orders'] },
      [VERIFIER]: { operations: ['verify'], verifyAudiences: ['api://orders'] },
      [PAYROLL]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://payroll'] },
    }),
    JWT_AUDIENCES: 'api://orders,api://payroll',
    JWT_ISSUER: 'https://jwt.test/api',
    REVOCATION_TABLE_NAME: `rev${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    LOCAL_KEYSTORE_DIR: dir,
  };
  hosts = [await startHost({ env }), await startHost({ env })];
}, 60_000);

afterAll(async () => {
  for (const host of hosts) await host.stop();
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('caller identity over HTTP', () => {
  it('answers 401 with a challenge without a token, 403 for an unknown caller', async () => {
    const anonymous = await call(hosts[0], '/api/sign', undefined, { claims: { aud: 'api://orders' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="kv-jwt"');
    expect(anonymous.body.code).toBe('unauthorized');
    const stranger = await call(hosts[0], '/api/sign', randomUUID(), { claims: { aud: 'api://orders' } });
    expect(stranger.status).toBe(403);
  });

  it('never lets spoofed principal headers in', async () => {
    const spoofed = await call(hosts[0], '/api/sign', undefined, { claims: { aud: 'api://orders' } }, { 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP, 'X-MS-CLIENT-PRINCIPAL-NAME': 'logic' });
    expect(spoofed.status).toBe(401);
  });

  it('keeps a caller within its own audiences, lifetime and claims', async () => {
    expect((await call(hosts[0], '/api/sign', LOGIC_APP, { claims: { aud: 'api://payroll' } })).body.code).toBe('audience_not_allowed');
    expect((await call(hosts[0], '/api/sign', LOGIC_APP, { claims: { aud: 'api://orders' }, ttlSeconds: 3600 })).body.code).toBe('ttl_not_allowed');
    expect((await call(hosts[0], '/api/sign', LOGIC_APP, { claims: { aud: 'api://orders', admin: true } })).body.code).toBe('claim_not_allowed');
    expect((await call(hosts[0], '/api/sign', LOGIC_APP, { claims: { aud: 'api://orders', role: 'reader' }, ttlSeconds: 600 })).status).toBe(200);
    expect((await call(hosts[0], '/api/keys', LOGIC_APP)).status).toBe(403);
    expect((await call(hosts[0], '/api/keys', ADMIN)).status).toBe(200);
  });

  it('shows the key timeline to admins only', async () => {
    const timeline = (oid?: string): Promise<Response> =>
      fetch(`${hosts[0].baseUrl}/api/keys/timeline`, { headers: oid ? { authorization: `Bearer ${issuer.token({ oid, audience: APP_AUDIENCE })}` } : {} });
    expect((await timeline()).status).toBe(401);
    const refused = await timeline(LOGIC_APP);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    const allowed = await timeline(ADMIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(await allowed.text()).toMatch(/^<svg /);
  });

  it('keeps JWKS, discovery and health anonymous', async () => {
    for (const path of ['/api/.well-known/jwks.json', '/api/.well-known/openid-configuration', '/api/health']) {
      expect((await call(hosts[0], path, undefined)).status).toBe(200);
    }
  });

  it('tells anonymous callers and non-admins the health status only; admins get the checks', async () => {
    expect((await call(hosts[0], '/api/health', undefined)).body).toEqual({ status: 'healthy' });
    expect((await call(hosts[0], '/api/health', LOGIC_APP)).body).toEqual({ status: 'healthy' });
    expect((await call(hosts[0], '/api/health', undefined, undefined, { authorization: 'Bearer not.a.token' })).body).toEqual({ status: 'healthy' });
    const admin = await call(hosts[0], '/api/health', ADMIN);
    expect(admin.body).toMatchObject({ status: 'healthy', checks: { keyStore: expect.any(Object), signingKey: expect.any(Object), revocation: expect.any(Object), rotation: expect.any(Object) } });
  });
});

describe('revocation across instances', () => {
  it('revokes a token on one instance and the other rejects it within 5 s', async () => {
    const token = await sign(hosts[0], 'stolen-laptop');
    expect(await activeOn(hosts[1], token)).toBe(true);
    const revoked = await call(hosts[0], '/api/revoke', LOGIC_APP, { token });
    expect(revoked.status).toBe(200);
    const elapsed = await eventually(async () => (await activeOn(hosts[1], token)) === 'revoked', 5000);
     
    console.log(`revocation honoured by the other instance after ${elapsed} ms`);
    const other = await sign(hosts[0], 'stolen-laptop');
    expect(await activeOn(hosts[1], other)).toBe(true);
  });

  it('judges a token only for the audiences the calling caller may verify (no laundering)', async () => {
    const orders = await sign(hosts[0], 'frank');
    expect(await activeOn(hosts[0], orders)).toBe(true);
    const payrollView = await call(hosts[0], '/api/verify', PAYROLL, { token: orders });
    expect(payrollView.body).toEqual({ active: false, error: 'wrong_audience' });
    const narrowed = await call(hosts[0], '/api/verify', VERIFIER, { token: orders, audience: 'api://payroll' });
    expect(narrowed.body).toEqual({ active: false, error: 'wrong_audience' });
    expect((await call(hosts[0], '/api/verify', VERIFIER, { token: orders, audience: '' })).status).toBe(400);
    expect((await call(hosts[0], '/api/verify', VERIFIER, { token: orders })).body).toMatchObject({ active: true, azp: LOGIC_APP.toLowerCase() });
  });

  it('revokes only tokens issued to the caller (azp) or for its audiences; others get 200 and nothing happens (RFC 7009)', async () => {
    const token = await sign(hosts[0], 'grace');
    const foreign = await call(hosts[0], '/api/revoke', PAYROLL, { token });
    expect(foreign.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await activeOn(hosts[1], token)).toBe(true);
    expect((await call(hosts[0], '/api/revoke', LOGIC_APP, { token })).status).toBe(200);
    expect(await activeOn(hosts[0], token)).toBe('revoked');
  });

  it('answers 200 for unknown or forged tokens (RFC 7009) and 400 without a token', async () => {
    expect((await call(hosts[0], '/api/revoke', LOGIC_APP, { token: 'not.a.token' })).status).toBe(200);
    expect((await call(hosts[0], '/api/revoke', LOGIC_APP, {})).status).toBe(400);
    expect((await call(hosts[0], '/api/revoke', VERIFIER, { token: 'x' })).status).toBe(403);
  });

  it('revokes every token of a subject, and every token issued before a time', async () => {
    const alice = await sign(hosts[0], 'alice');
    const bob = await sign(hosts[0], 'bob');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // cut-offs are whole seconds
    expect((await call(hosts[1], '/api/revocations', ADMIN, { sub: 'alice' })).status).toBe(200);
    await eventually(async () => (await activeOn(hosts[0], alice)) === 'revoked', 5000);
    expect(await activeOn(hosts[0], bob)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const aliceLater = await sign(hosts[0], 'alice');
    expect(await activeOn(hosts[1], aliceLater)).toBe(true);
    expect((await call(hosts[1], '/api/revocations', ADMIN, { all: true, before: Math.floor(Date.now() / 1000) - 1 })).status).toBe(200);
    await eventually(async () => (await activeOn(hosts[0], bob)) === 'revoked', 5000);
    expect((await call(hosts[1], '/api/revocations', LOGIC_APP, { all: true })).status).toBe(403);
    expect((await call(hosts[1], '/api/revocations', ADMIN, { all: true, before: 9_999_999_999 })).status).toBe(400);
  });

  it('keeps every revocation across a restart of both instances', async () => {
    const token = await sign(hosts[0], 'carol');
    await call(hosts[0], '/api/revoke', LOGIC_APP, { token });
    for (const host of hosts) await host.stop();
    hosts = [await startHost({ env }), await startHost({ env })];
    for (const host of hosts) expect(await activeOn(host, token)).toBe('revoked');
  }, 60_000);
});
