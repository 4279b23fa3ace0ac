import { HttpRequest, InvocationContext, type HttpResponseInit, type Timer } from '@azure/functions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactDecrypt, createLocalJWKSet, jwtVerify } from 'jose';
import { healthHandler } from '../../functions/health';
import { jwksHandler } from '../../functions/jwks';
import { keysHandler } from '../../functions/keys';
import { keysTimelineHandler } from '../../functions/keysTimeline';
import { revokeHandler } from '../../functions/revoke';
import { rotateKeysTimer } from '../../functions/rotateKeys';
import { rotateKeysNowHandler } from '../../functions/rotateKeysNow';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { getServices } from '../../src/app/services';
import { flipBit, joseJwe, publicKeyOf, withSegment } from '../support/jwe';
import { audienceKeyPair, startJwksServer, type JwksServer } from '../support/jwks-server';
import { assertTestCaTrusted } from '../support/keyvault-double/adapter-fixture';
import { useProcessSettings } from '../support/process-settings';
import { b64 } from '../support/token-factory';

/**
 * Encrypted tokens through the function handlers in process (the request and context objects of
 * @azure/functions, the embedded stores, the shared Azurite): `"encrypt": true` on /api/sign, JWEs
 * on /api/verify, the JWKS, the admin listing and timeline, emergency rotation of the encryption
 * key and the timer rotating both keys. Bad JWEs are 200 `active: false`, never a 5xx.
 */
const ISSUER = 'https://jwt.test/api';
const context = (functionName = 'test'): InvocationContext => new InvocationContext({ functionName, invocationId: 'test-invocation', logHandler: () => undefined });
const request = (method: string, path: string, body?: unknown): HttpRequest =>
  new HttpRequest({ method, url: `http://127.0.0.1:7071/api/${path}`, headers: { host: '127.0.0.1:7071', 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }) });
const answer = (response: HttpResponseInit): Record<string, unknown> => (response.jsonBody ?? JSON.parse(response.body as string)) as Record<string, unknown>;
const header = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

async function sign(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await signHandler(request('POST', 'sign', body), context('sign'));
  return { status: response.status ?? 200, body: answer(response) };
}
const verify = async (token: string, audience?: string): Promise<Record<string, unknown>> => answer(await verifyHandler(request('POST', 'verify', { token, ...(audience ? { audience } : {}) }), context('verify')));
const jwks = async (): Promise<{ keys: Array<Record<string, string>> }> => answer(await jwksHandler(request('GET', '.well-known/jwks.json'), context('jwks'))) as unknown as { keys: Array<Record<string, string>> };

let dir: string;
let restore: () => Promise<void>;
let partnerJwks: JwksServer;
let unusableJwks: JwksServer;
const partner = audienceKeyPair();

beforeAll(async () => {
  assertTestCaTrusted();
  partnerJwks = await startJwksServer([partner.jwk]);
  unusableJwks = await startJwksServer([{ ...audienceKeyPair().jwk, use: 'sig', alg: 'RS256' }]);
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-encrypted-route-'));
  restore = await useProcessSettings({
    AUTH_MODE: 'none',
    LOCAL_KEYSTORE_DIR: dir,
    JWT_AUDIENCES: 'api://orders,api://partner,api://billing,api://signing-keys-only',
    JWT_ISSUER: ISSUER,
    JWT_ENCRYPTION_AUDIENCE_JWKS: JSON.stringify({ 'api://partner': partnerJwks.url, 'api://signing-keys-only': unusableJwks.url }),
    AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
  });
});

afterAll(async () => {
  await restore();
  await partnerJwks?.close();
  await unusableJwks?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /api/sign with "encrypt": true', () => {
  it('returns a nested JWT to this service: RSA-OAEP-256 / A256GCM / cty JWT / the current encryption kid, opaque to everyone else', async () => {
    const signed = await sign({ claims: { sub: 'alice', aud: 'api://orders', secret: 'salary' }, encrypt: true });
    expect(signed.status).toBe(200);
    const token = String(signed.body.token);
    expect(token.split('.')).toHaveLength(5);
    const services = await getServices();
    const current = services.encryption.ring.current()?.version.kid;
    expect(header(token)).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: current });
    expect(signed.body).toMatchObject({ alg: 'RS256', encryption: { kid: current, alg: 'RSA-OAEP-256', enc: 'A256GCM', recipient: 'self' } });
    expect(signed.body.kid).toBe(services.ring.phases().find((p) => p.phase === 'active')?.version.kid); // the signature's kid
    expect(Buffer.from(token.split('.')[3], 'base64url').toString('latin1')).not.toContain('salary');
    expect(await verify(token)).toMatchObject({ active: true, sub: 'alice', secret: 'salary', aud: 'api://orders' });
    expect(await verify(token, 'api://billing')).toEqual({ active: false, error: 'wrong_audience' }); // the inner rules still apply
  });

  it('keeps plain signed JWTs the default and refuses an "encrypt" that is not a boolean', async () => {
    for (const encrypt of [undefined, false]) expect(String((await sign({ claims: { aud: 'api://orders' }, encrypt })).body.token).split('.')).toHaveLength(3);
    for (const encrypt of ['true', 1, null, {}]) expect(await sign({ claims: { aud: 'api://orders' }, encrypt })).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
  });

  it('encrypts to an audience\'s own key (JWT_ENCRYPTION_AUDIENCE_JWKS): its private key decrypts with jose, the JWS inside verifies against our JWKS', async () => {
    const signed = await sign({ claims: { sub: 'bob', aud: 'api://partner' }, encrypt: true });
    expect(signed.body.encryption).toEqual({ kid: partner.kid, alg: 'RSA-OAEP-256', enc: 'A256GCM', recipient: 'api://partner' });
    const { plaintext, protectedHeader } = await compactDecrypt(String(signed.body.token), partner.privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(protectedHeader).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: partner.kid });
    const { payload } = await jwtVerify(Buffer.from(plaintext).toString(), createLocalJWKSet(await jwks() as never), { issuer: ISSUER, audience: 'api://partner' });
    expect(payload).toMatchObject({ sub: 'bob', aud: 'api://partner', azp: 'local-developer' });
    // Only the audience reads it: this service holds no key for it.
    expect(await verify(String(signed.body.token))).toEqual({ active: false, error: 'unknown_key' });
  });

  it('refuses to encrypt to an audience\'s key a token that names other audiences too (one recipient per JWE)', async () => {
    expect(await sign({ claims: { aud: ['api://partner', 'api://orders'] }, encrypt: true })).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
  });

  it('answers 503 with Retry-After when the audience\'s JWKS has no usable key', async () => {
    const response = await signHandler(request('POST', 'sign', { claims: { aud: 'api://signing-keys-only' }, encrypt: true }), context('sign'));
    expect(response.status).toBe(503);
    expect(answer(response)).toMatchObject({ code: 'key_store_unavailable', detail: expect.stringContaining('api://signing-keys-only') });
    expect(Number((response.headers as Record<string, string>)['Retry-After'])).toBeGreaterThan(0);
  });
});

describe('POST /api/verify with a JWE', () => {
  it('verifies a JWE jose makes to our published use:enc key, wrapping a token we signed', async () => {
    const inner = String((await sign({ claims: { sub: 'carol', aud: 'api://orders' } })).body.token);
    const published = (await jwks()).keys.find((k) => k.use === 'enc');
    const token = await joseJwe(inner, publicKeyOf(published as never), String(published?.kid));
    expect(await verify(token)).toMatchObject({ active: true, sub: 'carol' });
  });

  it('answers every broken or hostile JWE with 200 active:false and a stable code, never a 5xx', async () => {
    const good = String((await sign({ claims: { aud: 'api://orders' }, encrypt: true })).body.token);
    const h = header(good);
    const cases: Array<[string, string, string]> = [
      ['tag flipped', withSegment(good, 4, flipBit(good.split('.')[4])), 'decrypt_failed'],
      ['alg RSA1_5', withSegment(good, 0, b64({ ...h, alg: 'RSA1_5' })), 'unsupported_alg'],
      ['alg dir', withSegment(good, 0, b64({ ...h, alg: 'dir' })), 'unsupported_alg'],
      ['alg PBES2 with a huge p2c', withSegment(good, 0, b64({ ...h, alg: 'PBES2-HS512+A256KW', p2c: 2_000_000_000, p2s: 'AAAAAAAAAAA' })), 'unsupported_alg'],
      ['alg ECDH-ES', withSegment(good, 0, b64({ ...h, alg: 'ECDH-ES', epk: { kty: 'EC' } })), 'unsupported_alg'],
      ['enc A128CBC-HS256', withSegment(good, 0, b64({ ...h, enc: 'A128CBC-HS256' })), 'unsupported_enc'],
      ['zip DEF', withSegment(good, 0, b64({ ...h, zip: 'DEF' })), 'unsupported_header'],
      ['crit', withSegment(good, 0, b64({ ...h, crit: ['exp'], exp: 1 })), 'unsupported_crit'],
      ['unknown kid', withSegment(good, 0, b64({ ...h, kid: 'f'.repeat(32) })), 'unknown_key'],
      ['jku', withSegment(good, 0, b64({ ...h, jku: 'https://evil.example/jwks' })), 'unsupported_header'],
      ['six segments', `${good}.AAAA`, 'malformed'],
      ['oversized', withSegment(good, 3, 'A'.repeat(20_000)), 'token_too_large'],
    ];
    for (const [name, token, error] of cases) {
      const response = await verifyHandler(request('POST', 'verify', { token }), context('verify'));
      expect([name, response.status, answer(response)]).toEqual([name, 200, { active: false, error }]);
    }
  });
});

describe('POST /api/revoke with a JWE', () => {
  const revoke = async (token: string): Promise<number | undefined> => (await revokeHandler(request('POST', 'revoke', { token }), context('revoke'))).status;
  const innerOf = async (token: string): Promise<string> => {
    const opened = await (await getServices()).encryption.open(token);
    if (opened.active === false) throw new Error(`did not open: ${opened.error}`);
    return String(opened.token);
  };

  it('opens the JWE and revokes the signed token inside: the JWE and the token inside then verify as revoked', async () => {
    const sealed = String((await sign({ claims: { sub: 'dave', aud: 'api://orders' }, encrypt: true })).body.token);
    const inner = await innerOf(sealed);
    expect(await verify(sealed)).toMatchObject({ active: true, sub: 'dave' });
    expect(await revoke(sealed)).toBe(200);
    expect(await verify(sealed)).toEqual({ active: false, error: 'revoked' });
    expect(await verify(inner)).toEqual({ active: false, error: 'revoked' });
    // A partner's JWE around the same signed token is the same token: revoked too.
    const published = (await jwks()).keys.find((k) => k.use === 'enc');
    expect(await verify(await joseJwe(inner, publicKeyOf(published as never), String(published?.kid)))).toEqual({ active: false, error: 'revoked' });
  });

  it('answers 200 and revokes nothing for a JWE it can not open (tag flipped, another audience\'s key, junk)', async () => {
    const sealed = String((await sign({ claims: { sub: 'erin', aud: 'api://orders' }, encrypt: true })).body.token);
    const toPartner = String((await sign({ claims: { sub: 'erin', aud: 'api://partner' }, encrypt: true })).body.token);
    for (const token of [withSegment(sealed, 4, flipBit(sealed.split('.')[4])), toPartner, 'a.b.c.d.e']) expect(await revoke(token)).toBe(200);
    expect(await verify(sealed)).toMatchObject({ active: true, sub: 'erin' });
  });
});

describe('keys and rotation', () => {
  it('publishes signing keys with use "sig" and encryption keys with use "enc" / RSA-OAEP-256, the current one first', async () => {
    const { keys } = await jwks();
    const services = await getServices();
    const signing = keys.filter((k) => k.use === 'sig');
    const encryption = keys.filter((k) => k.use === 'enc');
    expect(signing.length).toBeGreaterThanOrEqual(1);
    for (const key of signing) expect(key.alg).toBe('RS256');
    expect(encryption.map((k) => k.alg)).toEqual(encryption.map(() => 'RSA-OAEP-256'));
    expect(encryption[0].kid).toBe(services.encryption.ring.current()?.version.kid);
    for (const key of keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
  });

  it('lists the encryption key in GET /api/keys and draws it in the timeline', async () => {
    const listing = answer(await keysHandler(request('GET', 'keys'), context('keys'))) as { encryption: { alg: string; keys: Array<{ kid: string; phase: string; alg: string }> } };
    const services = await getServices();
    expect(listing.encryption.alg).toBe('RSA-OAEP-256');
    expect(listing.encryption.keys.find((k) => k.phase === 'active')?.kid).toBe(services.encryption.ring.current()?.version.kid);
    const svg = (await keysTimelineHandler(request('GET', 'keys/timeline'), context('keysTimeline'))).body as string;
    for (const key of listing.encryption.keys) expect(svg).toContain(`data-kid="${key.kid}"`);
  });

  it('rotates the encryption key in an emergency ("use": "enc"): tokens to the old key stop opening, new ones work, signing keys untouched', async () => {
    const services = await getServices();
    const signingBefore = services.ring.phases().find((p) => p.phase === 'active')?.version.kid;
    const before = String((await sign({ claims: { aud: 'api://orders' }, encrypt: true })).body.token);
    expect((await rotateKeysNowHandler(request('POST', 'keys/rotate', { emergency: true, reason: 'test', use: 'sideways' }), context())).status).toBe(400);
    const rotated = answer(await rotateKeysNowHandler(request('POST', 'keys/rotate', { emergency: true, reason: 'encryption key exposed', use: 'enc' }), context()));
    expect(rotated).toMatchObject({ emergency: true, disabled: [header(before).kid] });
    expect(await verify(before)).toEqual({ active: false, error: 'key_disabled' });
    const after = String((await sign({ claims: { aud: 'api://orders' }, encrypt: true })).body.token);
    expect(header(after).kid).toBe(rotated.kid);
    expect(await verify(after)).toMatchObject({ active: true });
    expect(services.ring.phases().find((p) => p.phase === 'active')?.version.kid).toBe(signingBefore);
  });

  it('reports the encryption key and its rotation in /api/health beside the signing key', async () => {
    const report = answer(await healthHandler(request('GET', 'health'), context('health'))) as { status: string; checks: Record<string, Record<string, unknown>> };
    const services = await getServices();
    expect(report.checks.encryptionKey).toMatchObject({ status: 'ok', alg: 'RSA-OAEP-256', kid: services.encryption.ring.current()?.version.kid });
    expect(report.checks.encryptionRotation).toMatchObject({ status: 'ok', activeKid: services.encryption.ring.current()?.version.kid });
    expect(report.checks.signingKey).toMatchObject({ status: 'ok' });
  });

  it('the rotateKeys timer runs for both keys', async () => {
    const lines: string[] = [];
    const ctx = new InvocationContext({ functionName: 'rotateKeys', invocationId: 'timer', logHandler: (_level, ...args) => lines.push(String(args[0])) });
    await rotateKeysTimer({ isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer, ctx);
    expect(lines.map((line) => (JSON.parse(line) as { key: string }).key)).toEqual(['sig', 'enc']);
  });

  it('without an active encryption key: health degraded (still 200), "encrypt": true a 503 no_active_key, plain tokens unaffected', async () => {
    const services = await getServices();
    const current = services.encryption.ring.current()?.version.kid as string;
    await services.encryption.store.disableVersion(current);
    await services.encryption.ring.refresh();
    const health = await healthHandler(request('GET', 'health'), context('health'));
    expect([health.status, (answer(health) as { status: string }).status]).toEqual([200, 'degraded']);
    expect((answer(health) as { checks: Record<string, { status: string }> }).checks.encryptionKey.status).toBe('warning');
    expect(await sign({ claims: { aud: 'api://orders' }, encrypt: true })).toMatchObject({ status: 503, body: { code: 'no_active_key' } });
    expect(String((await sign({ claims: { aud: 'api://orders' } })).body.token).split('.')).toHaveLength(3);
    await rotateKeysNowHandler(request('POST', 'keys/rotate', { emergency: true, reason: 'restore an encryption key', use: 'enc' }), context());
    expect((await sign({ claims: { aud: 'api://orders' }, encrypt: true })).status).toBe(200);
  });
});
