import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import { EntraAuthenticator, type EntraAuthenticatorOptions } from '../../src/auth/entra-authenticator';
import { tenantKeysUrl, tenantSigningKeys } from '../../src/auth/entra-keys';
import { ManualClock, systemClock, type Clock } from '../../src/clock';
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

/** The tenant's real key set, counting lookups: jwtVerify looks the key up once per signature check. */
function countedKeys(clock: Clock): { keys: JWTVerifyGetKey; signatureChecks: () => number } {
  const inner = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), clock);
  let count = 0;
  return {
    keys: (header, token) => {
      count += 1;
      return inner(header, token);
    },
    signatureChecks: () => count,
  };
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

describe('verdict cache', () => {
  it('checks a reused token once: later calls cost no signature check, yet policy and Easy Auth headers are applied on each', async () => {
    const counted = countedKeys(systemClock);
    const cached = authenticator({ signingKeys: counted.keys });
    const readerToken = issuer.token({ oid: READER, audience: AUDIENCE });
    for (let i = 0; i < 100; i += 1) expect(await outcome(bearer(readerToken), 'verify', cached)).toBe(`ok:${READER}`);
    expect(await outcome(bearer(readerToken), 'sign', cached)).toBe('403:forbidden');
    expect(await outcome({ ...bearer(readerToken), 'X-MS-CLIENT-PRINCIPAL-ID': LOGIC_APP }, 'verify', cached)).toBe('401:unauthorized');
    expect(await outcome(bearer(readerToken, 'bearer'), 'verify', cached)).toBe(`ok:${READER}`);
    expect(counted.signatureChecks()).toBe(1);
  });

  it('never caches a refusal', async () => {
    const counted = countedKeys(systemClock);
    const cached = authenticator({ signingKeys: counted.keys });
    const refused = [
      issuer.token({ oid: LOGIC_APP, audience: 'api://someone-else' }),
      issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { tid: randomUUID() } }),
      issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { oid: undefined } }),
    ];
    for (const token of refused) {
      expect(await outcome(bearer(token), 'sign', cached)).toBe('401:unauthorized');
      expect(await outcome(bearer(token), 'sign', cached)).toBe('401:unauthorized');
    }
    expect(counted.signatureChecks()).toBe(6);
  });

  it('ends a verdict a skew before exp, and refuses the token once expired even though it was cached', async () => {
    const clock = new ManualClock(Date.now());
    const counted = countedKeys(clock);
    const cached = authenticator({ clock, signingKeys: counted.keys });
    const now = Math.floor(clock.nowMs() / 1000);
    const token = bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { iat: now, nbf: now, exp: now + 400 } }));
    expect(await outcome(token, 'sign', cached)).toBe(`ok:${LOGIC_APP}`);
    clock.advance(50_000);
    expect(await outcome(token, 'sign', cached)).toBe(`ok:${LOGIC_APP}`);
    expect(counted.signatureChecks()).toBe(1);
    clock.advance(100_000); // 150 s: past exp − 300 s, the token itself still valid
    expect(await outcome(token, 'sign', cached)).toBe(`ok:${LOGIC_APP}`);
    expect(counted.signatureChecks()).toBe(2);
    clock.advance(551_000); // 701 s: past exp + 300 s of tolerance
    expect(await challenge(token, cached)).toContain('error_description="expired"');
  });

  it('remembers a verdict for at most 10 minutes, however long the token lives', async () => {
    const clock = new ManualClock(Date.now());
    const counted = countedKeys(clock);
    const cached = authenticator({ clock, signingKeys: counted.keys });
    const token = bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE, overrides: { exp: Math.floor(clock.nowMs() / 1000) + 24 * 3600 } }));
    await outcome(token, 'sign', cached);
    clock.advance(10 * 60_000 - 1);
    await outcome(token, 'sign', cached);
    expect(counted.signatureChecks()).toBe(1);
    clock.advance(1);
    expect(await outcome(token, 'sign', cached)).toBe(`ok:${LOGIC_APP}`);
    expect(counted.signatureChecks()).toBe(2);
  });

  it('stays within its bound, forgetting the least recently used token first', async () => {
    const counted = countedKeys(systemClock);
    const cached = authenticator({ signingKeys: counted.keys, verdictCache: { maxEntries: 3 } });
    const tokens = Array.from({ length: 4 }, () => bearer(issuer.token({ oid: LOGIC_APP, audience: AUDIENCE })));
    for (const token of tokens.slice(0, 3)) await outcome(token, 'sign', cached);
    await outcome(tokens[0], 'sign', cached); // 0 becomes the most recently used; 1 is now the oldest
    await outcome(tokens[3], 'sign', cached); // evicts 1
    expect(counted.signatureChecks()).toBe(4);
    for (const token of [tokens[0], tokens[2], tokens[3]]) await outcome(token, 'sign', cached);
    expect(counted.signatureChecks()).toBe(4);
    await outcome(tokens[1], 'sign', cached);
    expect(counted.signatureChecks()).toBe(5);
  });
});
