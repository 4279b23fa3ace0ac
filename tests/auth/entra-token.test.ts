import { randomUUID } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import { tenantKeysUrl, tenantSigningKeys } from '../../src/auth/entra-keys';
import { verifyEntraToken, type EntraTokenExpectations } from '../../src/auth/entra-token';
import { ManualClock, type Clock } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { EntraIssuer } from '../support/entra-issuer';

const AUDIENCE = 'api://kv-jwt-test';
const OID = randomUUID();
let issuer: EntraIssuer;
let keys: JWTVerifyGetKey;
let expected: EntraTokenExpectations;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** `ok:<oid>` or the error_description of the refusal. */
async function verdict(token: string, clock: Clock = new ManualClock(Date.now()), expectations: EntraTokenExpectations = expected): Promise<string> {
  try {
    return `ok:${(await verifyEntraToken(token, keys, expectations, clock)).oid}`;
  } catch (error: unknown) {
    if (!(error instanceof ServiceError)) throw error;
    return /error_description="([^"]*)"/.exec(String(error.details?.wwwAuthenticate))?.[1] ?? 'no description';
  }
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  keys = tenantSigningKeys(tenantKeysUrl(issuer.baseUrl, issuer.tenantId), new ManualClock(Date.now()));
  expected = { tenantId: issuer.tenantId, authorityHost: issuer.baseUrl, audience: AUDIENCE, skewSeconds: 300 };
});
afterAll(async () => issuer.stop());

describe('verifyEntraToken', () => {
  it('returns oid (lower case), appId and exp of a valid token', async () => {
    const exp = nowSeconds() + 3600;
    const token = issuer.token({ oid: OID.toUpperCase(), audience: AUDIENCE, overrides: { exp, appid: 'app-1' } });
    expect(await verifyEntraToken(token, keys, expected, new ManualClock(Date.now()))).toEqual({ oid: OID, appId: 'app-1', expiresAtMs: exp * 1000 });
  });

  it('accepts the v2 issuer of the configured authority host, a trailing slash on the host notwithstanding', async () => {
    const token = issuer.token({ oid: OID, audience: AUDIENCE, overrides: { iss: `${issuer.baseUrl}/${issuer.tenantId}/v2.0` } });
    expect(await verdict(token, undefined, { ...expected, authorityHost: `${issuer.baseUrl}/` })).toBe(`ok:${OID}`);
    const otherHost = issuer.token({ oid: OID, audience: AUDIENCE, overrides: { iss: `https://login.microsoftonline.com/${issuer.tenantId}/v2.0` } });
    expect(await verdict(otherHost)).toBe('wrong issuer');
  });

  it('accepts an array audience that contains ours, refuses one that does not', async () => {
    expect(await verdict(issuer.token({ oid: OID, audience: AUDIENCE, overrides: { aud: ['api://other', AUDIENCE] } }))).toBe(`ok:${OID}`);
    expect(await verdict(issuer.token({ oid: OID, audience: AUDIENCE, overrides: { aud: ['api://other'] } }))).toBe('wrong audience');
    expect(await verdict(issuer.token({ oid: OID, audience: AUDIENCE, overrides: { aud: undefined } }))).toBe('wrong audience');
  });

  it('judges exp and nbf by the injected clock, with 300 s of tolerance', async () => {
    // One instant for the token and both clocks: read twice, the wall clock moves on a loaded machine.
    const issuedAt = nowSeconds();
    const token = issuer.token({ oid: OID, audience: AUDIENCE, overrides: { nbf: issuedAt, exp: issuedAt + 600 } });
    const clock = new ManualClock(issuedAt * 1000);
    expect(await verdict(token, clock)).toBe(`ok:${OID}`);
    clock.advance(899_000); // exp + 299 s
    expect(await verdict(token, clock)).toBe(`ok:${OID}`);
    clock.advance(2_000); // exp + 301 s
    expect(await verdict(token, clock)).toBe('expired');
    const early = new ManualClock(issuedAt * 1000 - 299_000);
    expect(await verdict(token, early)).toBe(`ok:${OID}`);
    early.advance(-2_000);
    expect(await verdict(token, early)).toBe('not yet valid');
  });

  it.each([
    ['no exp', { exp: undefined }, 'no exp claim'],
    ['exp as a string', { exp: String(nowSeconds() + 600) }, 'malformed'],
    ['nbf as a string', { nbf: 'now' }, 'malformed'],
    ['no iss', { iss: undefined }, 'wrong issuer'],
    ['tid of another tenant', { tid: randomUUID() }, 'wrong tenant'],
    ['an empty oid', { oid: '' }, 'no oid claim'],
    ['a numeric oid', { oid: 42 }, 'no oid claim'],
  ])('refuses %s', async (_name, overrides, description) => {
    expect(await verdict(issuer.token({ oid: OID, audience: AUDIENCE, overrides }))).toBe(description);
  });

  it('accepts a token without tid (tid is checked when present)', async () => {
    expect(await verdict(issuer.token({ oid: OID, audience: AUDIENCE, overrides: { tid: undefined } }))).toBe(`ok:${OID}`);
  });

  it.each([
    ['a header that is not JSON', () => `${Buffer.from('not json').toString('base64url')}.${segment({})}.c2ln`, 'malformed'],
    ['a payload swapped after signing', () => issuer.token({ oid: OID, audience: AUDIENCE }).replace(/\.[^.]+\./, `.${Buffer.from('[').toString('base64url')}.`), 'bad signature'],
    ['an unknown critical header', () => issuer.token({ oid: OID, audience: AUDIENCE, header: { crit: ['x-custom'], 'x-custom': true } }), 'malformed'],
    ['no kid', () => issuer.token({ oid: OID, audience: AUDIENCE, header: { kid: undefined } }), 'unknown signing key'],
    ['PS256 with the tenant key', () => issuer.token({ oid: OID, audience: AUDIENCE, header: { alg: 'PS256' } }), 'unsupported algorithm'],
  ])('refuses %s', async (_name, make, description) => {
    expect(await verdict(make())).toBe(description);
  });

  it('lets a fault of its own surface as such instead of a 401', async () => {
    const broken: JWTVerifyGetKey = () => Promise.reject(new TypeError('bug'));
    await expect(verifyEntraToken(issuer.token({ oid: OID, audience: AUDIENCE }), broken, expected, new ManualClock(Date.now()))).rejects.toBeInstanceOf(TypeError);
  });
});
