import { createHmac, createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, nowSeconds } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { signToken, type SignRequest, type SignRules } from '../../src/jwt/sign';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { KeyRing } from '../../src/keys/key-ring';
import { KeyStoreError, type KeyStore, type PublicJwk } from '../../src/keys/key-store';
import { makeTestKey, StaticKeyStore } from '../support/token-factory';

/**
 * signToken: the caller's claims checked, the server-owned ones added (iss, azp, iat, nbf, exp,
 * jti), lifetimes bounded by JWT_MAX_TTL and the caller's own limit, one store `sign` call with the
 * pinned active version — and the fallbacks when the store disagrees with the ring.
 */
const T0_MS = Date.UTC(2026, 4, 1, 12, 0, 0);
const RULES: SignRules = { issuer: 'https://jwt.sign.test/api', audiences: ['api://orders', 'api://billing'], allowedClaims: '*', maxClaimsBytes: 8192, defaultTtlMs: 900_000, maxTtlMs: 3_600_000 };
const REQUEST: SignRequest = { claims: { sub: 'alice', aud: 'api://orders' }, authorizedParty: 'caller-oid' };
const RING_OPTIONS = { alg: 'ES256' as const, retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 5_000 };

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
afterEach(() => jest.restoreAllMocks());

/** An embedded ES256 store with one active key; `storeClock` is the store's own clock (Key Vault's, in Azure). */
async function setup(options: { storeClock?: ManualClock } = {}) {
  const clock = new ManualClock(T0_MS);
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-sign-'));
  dirs.push(dir);
  const store = new EmbeddedKeyStore({ dir, alg: 'ES256', clock: options.storeClock ?? clock });
  const first = await store.createVersion({ notBefore: nowSeconds(clock) - 60 });
  const ring = new KeyRing(store, clock, RING_OPTIONS);
  await ring.ready();
  return { clock, store, ring, first, deps: { ring, store: store as KeyStore, clock } };
}

const part = (token: string, index: number): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString()) as Record<string, unknown>;
async function refusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(() => undefined, (failure: unknown) => failure);
  if (!(error instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(error)}`);
  return `${error.status} ${error.code}`;
}
function verifies(token: string, jwk: PublicJwk | undefined): boolean {
  const [header, payload, signature] = token.split('.');
  const key = createPublicKey({ key: { kty: 'EC', crv: jwk?.crv, x: jwk?.x, y: jwk?.y }, format: 'jwk' });
  return verifySignature('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}

describe('signToken', () => {
  it('signs with the active key: header alg/typ/kid, the server-owned claims, registered claims first', async () => {
    const { clock, first, deps } = await setup();
    const signed = await signToken({ ...REQUEST, claims: { role: 'reader', aud: 'api://orders', sub: 'alice' } }, RULES, deps);
    const iat = nowSeconds(clock);
    expect(signed).toMatchObject({ kid: first.kid, alg: 'ES256', issuedAt: iat, expiresAt: iat + 900 });
    expect(part(signed.token, 0)).toEqual({ alg: 'ES256', typ: 'JWT', kid: first.kid });
    const payload = part(signed.token, 1);
    expect(payload).toEqual({ iss: RULES.issuer, sub: 'alice', aud: 'api://orders', azp: 'caller-oid', iat, nbf: iat, exp: iat + 900, jti: signed.jti, role: 'reader' });
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'azp', 'iat', 'nbf', 'exp', 'jti', 'role']);
    expect(signed.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(verifies(signed.token, first.publicJwk)).toBe(true);
  });

  it('makes a new jti for every token', async () => {
    const { deps } = await setup();
    const jtis = new Set(await Promise.all(Array.from({ length: 20 }, async () => (await signToken(REQUEST, RULES, deps)).jti)));
    expect(jtis.size).toBe(20);
  });

  it('keeps a caller\'s nbf, and writes the service\'s cnf after the registered claims', async () => {
    const { clock, deps } = await setup();
    const nbf = nowSeconds(clock) + 60;
    const signed = await signToken({ ...REQUEST, claims: { aud: 'api://orders', nbf, tier: 'gold' }, cnf: { jkt: 'thumbprint' } }, RULES, deps);
    const payload = part(signed.token, 1);
    expect([payload.nbf, payload.cnf]).toEqual([nbf, { jkt: 'thumbprint' }]);
    expect(Object.keys(payload)).toEqual(['iss', 'aud', 'azp', 'iat', 'nbf', 'exp', 'jti', 'cnf', 'tier']);
  });

  it('refuses an nbf at or after the token would expire', async () => {
    const { clock, deps } = await setup();
    expect(await refusal(signToken({ ...REQUEST, claims: { aud: 'api://orders', nbf: nowSeconds(clock) + 900 } }, RULES, deps))).toBe('400 invalid_claims');
  });

  describe('lifetimes', () => {
    it('default to JWT_DEFAULT_TTL, or the caller\'s own limit when shorter', async () => {
      const { deps } = await setup();
      const lifetime = async (rules: SignRules, ttlSeconds?: number): Promise<number> => {
        const signed = await signToken({ ...REQUEST, ttlSeconds }, rules, deps);
        return signed.expiresAt - signed.issuedAt;
      };
      expect(await lifetime(RULES)).toBe(900);
      expect(await lifetime({ ...RULES, callerMaxTtlMs: 300_000 })).toBe(300);
      expect(await lifetime({ ...RULES, callerMaxTtlMs: 1_800_000 })).toBe(900);
      expect(await lifetime(RULES, 3600)).toBe(3600);
      expect(await lifetime({ ...RULES, callerMaxTtlMs: 300_000 }, 300)).toBe(300);
    });

    it.each([0, -5, 1.5, '60', null, Number.MAX_SAFE_INTEGER + 1])('refuses ttlSeconds %p with 400 invalid_ttl', async (ttlSeconds) => {
      const { deps } = await setup();
      expect(await refusal(signToken({ ...REQUEST, ttlSeconds }, RULES, deps))).toBe('400 invalid_ttl');
    });

    it('refuses longer than JWT_MAX_TTL (400) and longer than the caller may ask for (403)', async () => {
      const { deps } = await setup();
      expect(await refusal(signToken({ ...REQUEST, ttlSeconds: 3601 }, RULES, deps))).toBe('400 invalid_ttl');
      expect(await refusal(signToken({ ...REQUEST, ttlSeconds: 301 }, { ...RULES, callerMaxTtlMs: 300_000 }, deps))).toBe('403 ttl_not_allowed');
    });
  });

  it('checks the caller\'s claims before anything is signed', async () => {
    const { store, deps } = await setup();
    const sign = jest.spyOn(store, 'sign');
    expect(await refusal(signToken({ ...REQUEST, claims: { aud: 'api://orders', iss: 'https://evil.example' } }, RULES, deps))).toBe('400 reserved_claim');
    expect(await refusal(signToken({ ...REQUEST, claims: { aud: 'api://payroll' } }, RULES, deps))).toBe('403 audience_not_allowed');
    expect(sign).not.toHaveBeenCalled();
  });

  it('answers 503 no_active_key with Retry-After when no key is active yet', async () => {
    const { clock, store } = await setup();
    const empty = new KeyRing(new StaticKeyStore([]), clock, RING_OPTIONS);
    const error = await signToken(REQUEST, RULES, { ring: empty, store, clock }).catch((failure: unknown) => failure);
    expect([(error as ServiceError).code, (error as ServiceError).status, (error as ServiceError).retryAfterSeconds]).toEqual(['no_active_key', 503, 5]);
  });

  it('when another instance disabled the key it holds, looks once more and signs with the new active key', async () => {
    const { clock, store, ring, first, deps } = await setup();
    // An emergency rotation elsewhere: a new key active now, the old one disabled; this ring has not listed since.
    const replacement = await store.createVersion({ notBefore: nowSeconds(clock) });
    await store.disableVersion(first.kid);
    expect(ring.signingCandidates().map((key) => key.version.kid)).toEqual([first.kid]);
    const signed = await signToken(REQUEST, RULES, deps);
    expect(signed.kid).toBe(replacement.kid);
    expect(verifies(signed.token, replacement.publicJwk)).toBe(true);
  });

  it('answers 503 no_active_key when the second look finds nothing usable either', async () => {
    const { store, first, deps } = await setup();
    await store.disableVersion(first.kid);
    expect(await refusal(signToken(REQUEST, RULES, deps))).toBe('503 no_active_key');
  });

  it('signs with the previous key while the store\'s clock has not reached the new key\'s nbf', async () => {
    // The store's clock (Key Vault's) runs 5 s behind this instance's.
    const storeClock = new ManualClock(T0_MS - 5_000);
    const { clock, store, ring, first, deps } = await setup({ storeClock });
    const next = await store.createVersion({ notBefore: nowSeconds(clock) + 2 });
    clock.advance(3_000);
    storeClock.advance(3_000);
    await ring.refresh();
    expect(ring.signingCandidates().map((key) => key.version.kid)).toEqual([next.kid, first.kid]);
    expect((await signToken(REQUEST, RULES, deps)).kid).toBe(first.kid);
    storeClock.advance(5_000);
    expect((await signToken(REQUEST, RULES, deps)).kid).toBe(next.kid);
  });

  it('maps an unreachable or throttled store to 503 key_store_unavailable, without a second look', async () => {
    const { store, ring, deps } = await setup();
    const refresh = jest.spyOn(ring, 'refresh');
    jest.spyOn(store, 'sign').mockRejectedValue(new KeyStoreError('throttled', 'Too many requests', { retryAfterSeconds: 7 }));
    const error = (await signToken(REQUEST, RULES, deps).catch((failure: unknown) => failure)) as ServiceError;
    expect([error.status, error.code, error.retryAfterSeconds]).toEqual([503, 'key_store_unavailable', 7]);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('HS*: signs with the ring\'s secret locally, never asking the store to sign', async () => {
    const clock = new ManualClock(T0_MS);
    const hmac = makeTestKey('HS256', 'h'.repeat(32), { created: nowSeconds(clock) - 60, notBefore: nowSeconds(clock) - 60 });
    const store = new StaticKeyStore([hmac.version], new Map([[hmac.version.kid, hmac.privateKey as Buffer]]));
    const ring = new KeyRing(store, clock, { ...RING_OPTIONS, alg: 'HS256' });
    const sign = jest.spyOn(store, 'sign');
    const signed = await signToken(REQUEST, RULES, { ring, store, clock });
    const [header, payload, signature] = signed.token.split('.');
    expect(signature).toBe(createHmac('sha256', hmac.privateKey as Buffer).update(`${header}.${payload}`).digest('base64url'));
    expect(part(signed.token, 0)).toEqual({ alg: 'HS256', typ: 'JWT', kid: hmac.version.kid });
    expect(sign).not.toHaveBeenCalled();
  });
});
