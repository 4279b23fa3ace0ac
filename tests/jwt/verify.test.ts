import { createPublicKey } from 'node:crypto';
import { ManualClock } from '../../src/clock';
import { SUPPORTED_ALGORITHMS, type JwsAlgorithm } from '../../src/algorithms';
import { verifyToken, verifyTokenCached, type VerifyOptions, type VerifyResult } from '../../src/jwt/verify';
import { KeyRing } from '../../src/keys/key-ring';
import type { RevocationSubject } from '../../src/revocation/revocation';
import { b64, makeTestKey, signRaw, StaticKeyStore, type TestKey } from '../support/token-factory';

const NOW = 1_800_000_000;
const ISSUER = 'https://jwt.example/api';
const options: VerifyOptions = { issuer: ISSUER, audiences: ['api://orders', 'api://billing'], clockSkewSeconds: 60, maxTokenBytes: 16 * 1024 };

const keys: Record<string, TestKey> = {};
const revoked = new Set<string>();
let store: StaticKeyStore;
let ring: KeyRing;
const clock = new ManualClock(NOW * 1000);

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, sub: 'alice', aud: 'api://orders', iat: NOW, nbf: NOW, exp: NOW + 600, jti: 'j1', ...extra };
}

function header(key: TestKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: key.version.alg, typ: 'JWT', kid: key.version.kid, ...extra };
}

function verify(token: unknown, audiences?: readonly string[]): Promise<VerifyResult> {
  return verifyToken(token, options, { ring, clock, revocations: { isRevoked: (t: RevocationSubject) => revoked.has(t.jti ?? '') } }, audiences);
}

beforeAll(async () => {
  // The RS256 key (the ring's algorithm) is the oldest, so no key here has a successor: every one
  // of them is within its active window at NOW (the window rules have their own tests below).
  for (const alg of SUPPORTED_ALGORITHMS) keys[alg] = makeTestKey(alg, `kid-${alg.toLowerCase()}`, alg === 'RS256' ? { created: 1_600_000_000 } : {});
  keys.disabled = makeTestKey('RS256', 'kid-disabled', { enabled: false });
  const secrets = new Map(
    Object.values(keys)
      .filter((k) => k.privateKey instanceof Buffer)
      .map((k) => [k.version.kid, k.privateKey as Buffer]),
  );
  store = new StaticKeyStore(Object.values(keys).map((k) => k.version), secrets);
  ring = new KeyRing(store, clock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 30_000 });
  await ring.ready();
});

describe('verifyToken accepts', () => {
  it.each(SUPPORTED_ALGORITHMS.map((alg) => [alg]))('a valid %s token and returns its claims', async (alg: JwsAlgorithm) => {
    const key = keys[alg];
    const result = await verify(signRaw(key, header(key), claims()));
    expect(result).toEqual({ active: true, claims: claims(), payloadJson: JSON.stringify(claims()), kid: key.version.kid, alg });
  });

  it('answers from cached keys synchronously, and leaves to the async path what needs I/O', async () => {
    const key = keys.RS256;
    const deps = { ring, clock, revocations: { isRevoked: () => false } };
    expect(verifyTokenCached(signRaw(key, header(key), claims()), options, deps)).toMatchObject({ active: true });
    expect(verifyTokenCached('a.b', options, deps)).toEqual({ active: false, error: 'malformed', kid: undefined });
    const unknownKid = signRaw(key, { alg: 'RS256', kid: 'not-in-the-ring' }, claims());
    expect(verifyTokenCached(unknownKid, options, deps)).toBeUndefined();
    expect(await verifyToken(unknownKid, options, deps)).toMatchObject({ active: false, error: 'unknown_key' });
    const remoteDeps = { ...deps, remoteVerify: () => Promise.resolve(false) };
    expect(verifyTokenCached(signRaw(key, header(key), claims()), options, remoteDeps)).toBeUndefined();
    expect(await verifyToken(signRaw(key, header(key), claims()), options, remoteDeps)).toMatchObject({ active: false, error: 'bad_signature' });
  });

  it('a token within the clock skew of exp and nbf', async () => {
    const key = keys.RS256;
    expect((await verify(signRaw(key, header(key), claims({ exp: NOW - 59 })))).active).toBe(true);
    expect((await verify(signRaw(key, header(key), claims({ nbf: NOW + 59 })))).active).toBe(true);
  });

  it('a requested audience among several', async () => {
    const key = keys.RS256;
    const token = signRaw(key, header(key), claims({ aud: ['api://orders', 'api://billing'] }));
    expect((await verify(token, ['api://billing'])).active).toBe(true);
  });

  it('typ application/jwt in any case, or no typ', async () => {
    const key = keys.ES256;
    expect((await verify(signRaw(key, header(key, { typ: 'Application/JWT' }), claims()))).active).toBe(true);
    expect((await verify(signRaw(key, { alg: 'ES256', kid: key.version.kid }, claims()))).active).toBe(true);
  });
});

describe('verifyToken rejects', () => {
  const cases: Array<[string, () => string, string]> = [
    ['an expired token', () => signRaw(keys.RS256, header(keys.RS256), claims({ exp: NOW - 61 })), 'expired'],
    ['a token without exp', () => signRaw(keys.RS256, header(keys.RS256), claims({ exp: undefined })), 'missing_claim'],
    ['a string exp', () => signRaw(keys.RS256, header(keys.RS256), claims({ exp: String(NOW + 600) })), 'missing_claim'],
    ['a not-yet-valid token', () => signRaw(keys.RS256, header(keys.RS256), claims({ nbf: NOW + 61 })), 'not_yet_valid'],
    ['a token issued in the future', () => signRaw(keys.RS256, header(keys.RS256), claims({ iat: NOW + 3600 })), 'not_yet_valid'],
    ['a token issued before its key was created', () => signRaw(keys.RS256, header(keys.RS256), claims({ iat: 1_600_000_000 - 61 })), 'key_not_active'],
    ['a wrong issuer', () => signRaw(keys.RS256, header(keys.RS256), claims({ iss: 'https://evil.example/api' })), 'wrong_issuer'],
    ['an issuer differing by a trailing slash', () => signRaw(keys.RS256, header(keys.RS256), claims({ iss: `${ISSUER}/` })), 'wrong_issuer'],
    ['an audience we do not issue for', () => signRaw(keys.RS256, header(keys.RS256), claims({ aud: 'api://other' })), 'wrong_audience'],
    ['a token without aud', () => signRaw(keys.RS256, header(keys.RS256), claims({ aud: undefined })), 'wrong_audience'],
    ['a revoked jti', () => signRaw(keys.RS256, header(keys.RS256), claims({ jti: 'stolen' })), 'revoked'],
    ['alg none', () => `${b64({ alg: 'none', kid: 'kid-rs256' })}.${b64(claims())}.`, 'malformed'],
    ['alg none with a signature', () => `${b64({ alg: 'none', kid: 'kid-rs256' })}.${b64(claims())}.AAAA`, 'unsupported_alg'],
    ['alg NONE', () => `${b64({ alg: 'NONE', kid: 'kid-rs256' })}.${b64(claims())}.AAAA`, 'unsupported_alg'],
    ['an ES256 header on an RSA key', () => signRaw(keys.ES256, { ...header(keys.ES256), kid: 'kid-rs256' }, claims()), 'alg_mismatch'],
    ['an unknown kid', () => signRaw(keys.RS256, header(keys.RS256, { kid: 'nope' }), claims()), 'unknown_key'],
    ['a missing kid', () => signRaw(keys.RS256, { alg: 'RS256' }, claims()), 'unknown_key'],
    ['a kid with a path', () => signRaw(keys.RS256, header(keys.RS256, { kid: '../../etc/passwd' }), claims()), 'unknown_key'],
    ['a numeric kid', () => signRaw(keys.RS256, header(keys.RS256, { kid: 42 }), claims()), 'unknown_key'],
    ['a disabled key', () => signRaw(keys.disabled, header(keys.disabled), claims()), 'key_disabled'],
    ['crit', () => signRaw(keys.RS256, header(keys.RS256, { crit: ['exp'] }), claims()), 'unsupported_crit'],
    ['b64 false', () => signRaw(keys.RS256, header(keys.RS256, { b64: false, crit: ['b64'] }), claims()), 'unsupported_crit'],
    ['a foreign typ', () => signRaw(keys.RS256, header(keys.RS256, { typ: 'at+jwt' }), claims()), 'wrong_type'],
    ['a payload that is not an object', () => signRaw(keys.RS256, header(keys.RS256), [1, 2]), 'malformed'],
    ['a header that is not an object', () => `${b64('"RS256"')}.${b64(claims())}.AAAA`, 'malformed'],
    ['two segments', () => `${b64(header(keys.RS256))}.${b64(claims())}`, 'malformed'],
    ['four segments', () => `${signRaw(keys.RS256, header(keys.RS256), claims())}.x`, 'malformed'],
    ['padding in a segment', () => signRaw(keys.RS256, header(keys.RS256), claims()).replace(/\.([^.]+)$/, '.$1=='), 'malformed'],
  ];

  it.each(cases)('%s', async (_name, makeToken, error) => {
    revoked.add('stolen');
    expect(await verify(makeToken())).toMatchObject({ active: false, error });
  });

  it('a tampered payload', async () => {
    const token = signRaw(keys.RS256, header(keys.RS256), claims());
    const [h, , s] = token.split('.');
    expect(await verify(`${h}.${b64(claims({ sub: 'mallory' }))}.${s}`)).toMatchObject({ active: false, error: 'bad_signature' });
  });

  it('HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const rsa = keys.RS256;
    const pem = createPublicKey({ key: rsa.version.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const forged = signRaw({ version: { ...rsa.version, alg: 'HS256' }, privateKey: Buffer.from(pem) }, header(rsa, { alg: 'HS256' }), claims(), 'HS256');
    expect(await verify(forged)).toMatchObject({ active: false, error: 'alg_mismatch' });
  });

  it('a token for an audience this call may not accept, even one the service issues for', async () => {
    const token = signRaw(keys.RS256, header(keys.RS256), claims());
    expect(await verify(token, ['api://billing'])).toMatchObject({ active: false, error: 'wrong_audience' });
    expect(await verify(token, [])).toMatchObject({ active: false, error: 'wrong_audience' });
  });

  it('a token without iat (every token this service signs carries one)', async () => {
    expect(await verify(signRaw(keys.RS256, header(keys.RS256), claims({ iat: undefined })))).toMatchObject({ active: false, error: 'missing_claim' });
  });

  it('a token over the size limit before parsing it', async () => {
    expect(await verify('a'.repeat(16 * 1024 + 1))).toEqual({ active: false, error: 'token_too_large' });
  });

  it.each([[undefined], [42], [''], [{}]])('a token that is not a string: %p', async (token) => {
    expect(await verify(token)).toMatchObject({ active: false, error: 'malformed' });
  });

  it('an ECDSA signature of r = s = 0 (CVE-2022-21449)', async () => {
    const key = keys.ES256;
    const token = `${b64(header(key))}.${b64(claims())}.${Buffer.alloc(64).toString('base64url')}`;
    expect(await verify(token)).toMatchObject({ active: false, error: 'bad_signature' });
  });

  it('an ECDSA signature in DER form', async () => {
    const key = keys.ES256;
    const token = signRaw(key, header(key), claims());
    const [h, p] = token.split('.');
    expect(await verify(`${h}.${p}.${Buffer.alloc(70, 1).toString('base64url')}`)).toMatchObject({ active: false, error: 'bad_signature' });
  });

  it('refreshes the ring at most once per cool-down for unknown kids', async () => {
    const before = store.listCalls;
    for (let i = 0; i < 50; i += 1) await verify(signRaw(keys.RS256, header(keys.RS256, { kid: `random${i}` }), claims()));
    expect(store.listCalls - before).toBeLessThanOrEqual(1);
  });
});

describe('the key active window (a token must have been issued while its key signed)', () => {
  const policy = { alg: 'PS256' as const, retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 30_000 };
  const old = makeTestKey('PS256', 'kid-old', { created: NOW - 86_400 });
  const current = makeTestKey('PS256', 'kid-current', { created: NOW - 7200, notBefore: NOW - 3600 });
  const next = makeTestKey('PS256', 'kid-next', { created: NOW - 600, notBefore: NOW + 3600 });
  let windowRing: KeyRing;
  const check = (key: TestKey, iat: number): Promise<VerifyResult> =>
    verifyToken(signRaw(key, header(key), claims({ iat, nbf: iat, exp: NOW + 600 })), options, { ring: windowRing, clock, revocations: { isRevoked: () => false } });

  beforeAll(async () => {
    windowRing = new KeyRing(new StaticKeyStore([old, current, next].map((k) => k.version)), clock, policy);
    await windowRing.ready();
  });

  it('accepts tokens from inside each window, with the clock skew at both ends', async () => {
    expect(await check(current, NOW)).toMatchObject({ active: true });
    expect(await check(current, NOW - 3600 - 60)).toMatchObject({ active: true });
    expect(await check(old, NOW - 3600 + 60)).toMatchObject({ active: true });
  });

  it('refuses a token signed by an announced key (before it activates)', async () => {
    expect(await check(next, NOW)).toMatchObject({ active: false, error: 'key_not_active' });
    expect(await check(current, NOW - 3600 - 61)).toMatchObject({ active: false, error: 'key_not_active' });
  });

  it('refuses a token freshly signed by a retired key', async () => {
    expect(await check(old, NOW)).toMatchObject({ active: false, error: 'key_not_active' });
    expect(await check(old, NOW - 3600 + 61)).toMatchObject({ active: false, error: 'key_not_active' });
  });

  it('gives the retirement the ring refresh grace when asked (another instance may sign until its ring sees the successor)', async () => {
    const graced = { ...options, retirementGraceSeconds: 60 };
    const token = signRaw(old, header(old), claims({ iat: NOW - 3600 + 100, nbf: NOW - 3600 + 100, exp: NOW + 600 }));
    expect(await verifyToken(token, graced, { ring: windowRing, clock, revocations: { isRevoked: () => false } })).toMatchObject({ active: true });
  });
});

describe('RSA signature length (RFC 8017 §8.2.2: exactly the modulus length)', () => {
  it.each(['RS256', 'PS256'] as const)('refuses a %s signature with its leading zero byte removed', async (alg) => {
    const key = keys[alg];
    let token = '';
    // About one signature in 256 starts with a zero byte: sign until one does.
    for (let i = 0; i < 5000; i += 1) {
      token = signRaw(key, header(key), claims({ jti: `zero-${i}` }));
      if (Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')[0] === 0) break;
    }
    const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
    expect(signature[0]).toBe(0);
    expect(await verify(token)).toMatchObject({ active: true });
    const shortened = `${token.slice(0, token.lastIndexOf('.'))}.${signature.subarray(1).toString('base64url')}`;
    expect(await verify(shortened)).toMatchObject({ active: false, error: 'bad_signature' });
  });
});
