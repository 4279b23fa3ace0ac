import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { EntraAuthenticator, type EntraAuthenticatorOptions } from '../../src/auth/entra-authenticator';
import { ManualClock, systemClock } from '../../src/clock';
import { parseCallerPolicy } from '../../src/config/caller-policy';
import type { Operation } from '../../src/config/caller-policy';
import { ServiceError } from '../../src/errors';
import { EntraIssuer } from '../support/entra-issuer';

const AUDIENCE = 'api://kv-jwt-test';
const LOGIC_APP = randomUUID();
const READER = randomUUID();
const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
let issuer: EntraIssuer;
let auth: EntraAuthenticator;

function headers(values: Record<string, string>): { get(name: string): string | undefined } {
  const lower = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower[name.toLowerCase()] };
}

/** `ok:<oid>`, or `<status>:<code>` of the refusal. */
async function outcome(values: Record<string, string>, operation: Operation = 'sign', authenticator: EntraAuthenticator = auth): Promise<string> {
  try {
    const caller = await authenticator.authenticate({ headers: headers(values) }, operation);
    return `ok:${caller.id}`;
  } catch (error: unknown) {
    if (error instanceof ServiceError) return `${error.status}:${error.code}`;
    throw error;
  }
}

/** The WWW-Authenticate challenge of a refusal ('' when the caller was accepted). */
async function challenge(values: Record<string, string>, authenticator: EntraAuthenticator = auth): Promise<string> {
  const result = await authenticator.authenticate({ headers: headers(values) }, 'sign').catch((error: unknown) => error);
  if (!(result instanceof ServiceError)) return '';
  return String(result.details?.wwwAuthenticate);
}

function bearer(token: string, scheme = 'Bearer'): Record<string, string> {
  return { Authorization: `${scheme} ${token}` };
}

function principalHeader(oid: string): string {
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: OBJECT_ID_CLAIM, val: oid }] })).toString('base64');
}

const policy = (): EntraAuthenticatorOptions['policy'] =>
  parseCallerPolicy(
    JSON.stringify({
      [LOGIC_APP]: { operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'], maxTtl: 'PT10M' },
      [READER]: { operations: ['verify'] },
    }),
  );

function authenticator(overrides: Partial<EntraAuthenticatorOptions> = {}): EntraAuthenticator {
  return new EntraAuthenticator({ tenantId: issuer.tenantId, audience: AUDIENCE, authorityHost: issuer.baseUrl, clock: systemClock, policy: policy(), ...overrides });
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  auth = authenticator();
});
afterAll(async () => issuer.stop());

describe('Entra caller authentication', () => {
  it('accepts a valid managed identity token (v1 and v2 issuers) from an allowed caller', async () => {
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })))).toBe(`ok:${LOGIC_APP}`);
    const v2 = issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { iss: `${issuer.baseUrl}/${issuer.tenantId}/v2.0` } });
    expect(await outcome(bearer(v2))).toBe(`ok:${LOGIC_APP}`);
  });

  it('returns the caller: oid in lower case, appId from appid (v1) or azp (v2), its permissions', async () => {
    const appId = randomUUID();
    const v1 = await auth.authenticate({ headers: headers(bearer(issuer.token({ oid: LOGIC_APP.toUpperCase(), audience: AUDIENCE, overrides: { appid: appId } }))) }, 'sign');
    expect(v1).toEqual({ id: LOGIC_APP, appId, permissions: expect.objectContaining({ operations: ['sign', 'verify', 'revoke'], audiences: ['api://orders'] }) });
    const v2Token = issuer.token({ oid: READER, audience: AUDIENCE, overrides: { iss: `${issuer.baseUrl}/${issuer.tenantId}/v2.0`, appid: undefined, azp: appId } });
    expect(await auth.authenticate({ headers: headers(bearer(v2Token)) }, 'verify')).toMatchObject({ id: READER, appId });
  });

  it.each(['bearer', 'BEARER', 'bEaReR'])('accepts the scheme written %s (RFC 7235: scheme names are case-insensitive)', async (scheme) => {
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE }), scheme))).toBe(`ok:${LOGIC_APP}`);
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

  it.each([
    ['an empty Authorization header', () => ({ Authorization: '' }), 'not a bearer JWT'],
    ['a Basic header', () => ({ Authorization: 'Basic dXNlcjpwYXNz' }), 'not a bearer JWT'],
    ['the scheme alone', () => ({ Authorization: 'Bearer' }), 'not a bearer JWT'],
    ['two tokens', () => ({ Authorization: `Bearer ${issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })} ${issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })}` }), 'not a bearer JWT'],
    ['two spaces after the scheme', () => ({ Authorization: `Bearer  ${issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })}` }), 'not a bearer JWT'],
    ['a tab after the scheme', () => ({ Authorization: `Bearer\t${issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })}` }), 'not a bearer JWT'],
    ['a wrong issuer', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { iss: 'https://login.example.com/tenant/v2.0' } })), 'wrong issuer'],
    ['a wrong audience', () => bearer(issuer.token({ oid: LOGIC_APP, audience: 'api://someone-else' })), 'wrong audience'],
    ['a tid of another tenant', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { tid: randomUUID() } })), 'wrong tenant'],
    ['an expired token', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { exp: Math.floor(Date.now() / 1000) - 301 } })), 'expired'],
    ['nbf in the future', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { nbf: Math.floor(Date.now() / 1000) + 600 } })), 'not yet valid'],
    ['alg none with an empty signature', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { alg: 'none' }, signature: () => Buffer.alloc(0) })), 'not a bearer JWT'],
    ['alg none with a signature', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { alg: 'none' } })), 'unsupported algorithm'],
    ['HS256 keyed with the public key', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { alg: 'HS256' }, signature: (input) => createHmac('sha256', issuer.publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest() })), 'unsupported algorithm'],
    ['RS384 with the tenant key', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { alg: 'RS384' }, digest: 'sha384' })), 'unsupported algorithm'],
    ['an unknown kid', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { kid: 'rolled-key' } })), 'unknown signing key'],
    ['another key under a known kid', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, signWith: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })), 'bad signature'],
    ['a token without oid', () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { oid: undefined } })), 'no oid claim'],
    ['an Easy Auth principal naming another oid', () => ({ ...bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'X-MS-CLIENT-PRINCIPAL': principalHeader(READER) }), 'the client principal headers name another caller'],
    ['an Easy Auth principal id naming another oid', () => ({ ...bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'X-MS-CLIENT-PRINCIPAL-ID': READER }), 'the client principal headers name another caller'],
  ])('answers invalid_token for %s, with a fixed description', async (_name, make, description) => {
    expect(await challenge(make())).toBe(`Bearer realm="kv-jwt", error="invalid_token", error_description="${description}"`);
  });

  it('allows each caller only its own operations', async () => {
    const reader = bearer(issuer.token({ oid: READER, audience: AUDIENCE }));
    expect(await outcome(reader, 'verify')).toBe(`ok:${READER}`);
    expect(await outcome(reader, 'sign')).toBe('403:forbidden');
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'admin')).toBe('403:forbidden');
  });

  it('accepts matching Easy Auth principal headers', async () => {
    const values = { ...bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP.toUpperCase(), 'X-MS-CLIENT-PRINCIPAL': principalHeader(LOGIC_APP) };
    expect(await outcome(values)).toBe(`ok:${LOGIC_APP}`);
  });

  it('answers 401 with an RFC 6750 challenge', async () => {
    const error = (await auth.authenticate({ headers: headers({}) }, 'sign').catch((e: unknown) => e)) as ServiceError;
    expect(error.details?.wwwAuthenticate).toBe('Bearer realm="kv-jwt"');
    const invalid = (await auth.authenticate({ headers: headers({ Authorization: 'Bearer a.b.c' }) }, 'sign').catch((e: unknown) => e)) as ServiceError;
    expect(invalid.details?.wwwAuthenticate).toMatch(/^Bearer realm="kv-jwt", error="invalid_token", error_description="/);
  });

  it('never echoes the token in the refusal', async () => {
    const token = issuer.token({ oid: LOGIC_APP, audience: 'api://someone-else' });
    const error = (await auth.authenticate({ headers: headers(bearer(token)) }, 'sign').catch((e: unknown) => e)) as ServiceError;
    const [head, payload, signature] = token.split('.');
    for (const text of [error.message, JSON.stringify(error.details)]) {
      for (const part of [head, payload, signature]) expect(text).not.toContain(part);
    }
  });
});

describe('unknown-kid flood protection', () => {
  const randomKid = (): Record<string, string> => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, header: { kid: randomUUID() } }));

  it('fetches the tenant keys once however many random kids arrive within a cool-down (50 at once, 50 in a row)', async () => {
    const fresh = authenticator();
    const before = issuer.keyRequests;
    const together = await Promise.all(Array.from({ length: 50 }, () => challenge(randomKid(), fresh)));
    const inARow: string[] = [];
    for (let i = 0; i < 50; i += 1) inARow.push(await challenge(randomKid(), fresh));
    expect(new Set([...together, ...inARow])).toEqual(new Set(['Bearer realm="kv-jwt", error="invalid_token", error_description="unknown signing key"']));
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'sign', fresh)).toBe(`ok:${LOGIC_APP}`);
    expect(issuer.keyRequests - before).toBe(1);
  });

  it('counts failed fetches toward the cool-down, then fetches again after it', async () => {
    const clock = new ManualClock(Date.now());
    const fresh = authenticator({ clock });
    const before = issuer.keyRequests;
    issuer.failKeyRequests = true;
    try {
      const together = await Promise.all(Array.from({ length: 50 }, () => challenge(randomKid(), fresh)));
      for (let i = 0; i < 50; i += 1) expect(await challenge(randomKid(), fresh)).toContain('error_description="signing keys unavailable"');
      expect(new Set(together)).toEqual(new Set(['Bearer realm="kv-jwt", error="invalid_token", error_description="signing keys unavailable"']));
      expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'sign', fresh)).toBe('401:unauthorized');
      expect(issuer.keyRequests - before).toBe(1);
    } finally {
      issuer.failKeyRequests = false;
    }
    clock.advance(60_000);
    expect(await outcome(bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })), 'sign', fresh)).toBe(`ok:${LOGIC_APP}`);
    expect(issuer.keyRequests - before).toBe(2);
  });
});
