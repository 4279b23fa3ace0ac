import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EntraAuthenticator } from '../../src/auth/entra-authenticator';
import { systemClock } from '../../src/clock';
import { parseCallerPolicy } from '../../src/config/caller-policy';
import type { Operation } from '../../src/config/caller-policy';
import { ServiceError } from '../../src/errors';
import { EntraIssuer } from '../support/entra-issuer';

const AUDIENCE = 'api://kv-jwt-test';
const LOGIC_APP = randomUUID();
const READER = randomUUID();
let issuer: EntraIssuer;
let auth: EntraAuthenticator;

function headers(values: Record<string, string>): { get(name: string): string | undefined } {
  const lower = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower[name.toLowerCase()] };
}

async function outcome(values: Record<string, string>, operation: Operation = 'sign'): Promise<string> {
  try {
    const caller = await auth.authenticate({ headers: headers(values) }, operation);
    return `ok:${caller.id}`;
  } catch (error: unknown) {
    if (error instanceof ServiceError) return `${error.status}:${error.code}`;
    throw error;
  }
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  auth = new EntraAuthenticator({
    tenantId: issuer.tenantId,
    audience: AUDIENCE,
    authorityHost: issuer.baseUrl,
    clock: systemClock,
    policy: parseCallerPolicy(
      JSON.stringify({
        [LOGIC_APP]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'], maxTtl: 'PT10M' },
        [READER]: { operations: ['verify'] },
      }),
    ),
  });
});
afterAll(async () => issuer.stop());

describe('Entra caller authentication', () => {
  it('accepts a valid managed identity token (v1 and v2 issuers) from an allowed caller', async () => {
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })))).toBe(`ok:${LOGIC_APP}`);
    const v2 = issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { iss: `${issuer.baseUrl}/${issuer.tenantId}/v2.0` } });
    expect(await outcome(bearer(v2))).toBe(`ok:${LOGIC_APP}`);
  });

  it.each([
    ['no token', () => ({}), '401:unauthorized'],
    ['a Basic header', () => ({ Authorization: 'Basic dXNlcjpwYXNz' }), '401:unauthorized'],
    ['an expired token', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { exp: Math.floor(Date.now() / 1000) - 600 } })), '401:unauthorized'],
    ['a token for another audience', () => bearer(issuer.token({ oid: LOGIC_APP, audience: 'api://someone-else' })), '401:unauthorized'],
    ['a token from another tenant', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { iss: `https://sts.windows.net/${randomUUID()}/` } })), '401:unauthorized'],
    ['a tid of another tenant', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { tid: randomUUID() } })), '401:unauthorized'],
    ['a token signed with another key', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, signWith: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })), '401:unauthorized'],
    ['alg none', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { alg: 'none' } })), '401:unauthorized'],
    ['an unknown kid', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { kid: 'rolled-key' } })), '401:unauthorized'],
    ['a token without oid', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { oid: undefined } })), '401:unauthorized'],
    ['an unknown caller', () => bearer(issuer.token({ oid: randomUUID(), audience: AUDIENCE })), '403:forbidden'],
    ['spoofed principal headers alone', () => ({ 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP, 'X-MS-CLIENT-PRINCIPAL-NAME': 'logic-app' }), '401:unauthorized'],
    ['principal headers naming someone else', () => ({ ...bearer(issuer.token({ oid: READER, audience: AUDIENCE })), 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP }), '401:unauthorized'],
  ])('refuses %s', async (_name, make, expected) => {
    expect(await outcome(make())).toBe(expected);
  });

  it('allows each caller only its own operations', async () => {
    const reader = bearer(issuer.token({ oid: READER, audience: AUDIENCE }));
    expect(await outcome(reader, 'verify')).toBe(`ok:${READER}`);
    expect(await outcome(reader, 'sign')).toBe('403:forbidden');
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'admin')).toBe('403:forbidden');
  });

  it('accepts matching Easy Auth principal headers', async () => {
    const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: LOGIC_APP }] })).toString('base64');
    const values = { ...bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP, 'X-MS-CLIENT-PRINCIPAL': principal };
    expect(await outcome(values)).toBe(`ok:${LOGIC_APP}`);
  });

  it('answers 401 with an RFC 6750 challenge', async () => {
    const error = (await auth.authenticate({ headers: headers({}) }, 'sign').catch((e: unknown) => e)) as ServiceError;
    expect(error.details?.wwwAuthenticate).toBe('Bearer realm="kv-jwt"');
    const invalid = (await auth.authenticate({ headers: headers({ Authorization: 'Bearer a.b.c' }) }, 'sign').catch((e: unknown) => e)) as ServiceError;
    expect(invalid.details?.wwwAuthenticate).toMatch(/^Bearer realm="kv-jwt", error="invalid_token", error_description="/);
  });

  it('fetches the tenant keys once per cool-down however many unknown kids arrive', async () => {
    const before = issuer.keyRequests;
    for (let i = 0; i < 20; i += 1) await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { kid: `random-${i}` } })));
    expect(issuer.keyRequests - before).toBeLessThanOrEqual(1);
  });
});
