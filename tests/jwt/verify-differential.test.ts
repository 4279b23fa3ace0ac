import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import type { JwsAlgorithm } from '../../src/algorithms';
import { ManualClock } from '../../src/clock';
import { verifyToken, type VerifyOptions } from '../../src/jwt/verify';
import { KeyRing } from '../../src/keys/key-ring';
import { makeTestKey, signRaw, StaticKeyStore, type TestKey } from '../support/token-factory';

/**
 * The service's own verifier is hand-written for speed (see README, "Hand-written on purpose"); this
 * holds it to jose's verdicts. Both judge the same tokens — valid ones with random claims, and
 * random one-character mutations of them — and must agree on accept or refuse. jose is configured
 * with the same rules: the key by kid, the algorithm, issuer, audiences, clock tolerance, exp and
 * iat required, iat not in the future. One difference is by design: jose decodes base64url the way
 * Node's Buffer does, so it also accepts other spellings of the same bytes (a last character with
 * unused bits set, '+' or '/'); the service accepts only the canonical spelling (RFC 7515 §2), so a
 * token has exactly one spelling. Where jose accepts and the service refuses, the token must be
 * such a spelling.
 */
const NOW = 1_800_000_000;
const ISSUER = 'https://jwt.differential/api';
const AUDIENCES = ['api://orders', 'api://billing'];
const options: VerifyOptions = { issuer: ISSUER, audiences: AUDIENCES, clockSkewSeconds: 60, maxTokenBytes: 16 * 1024 };
const clock = new ManualClock(NOW * 1000);

/** Each segment re-encodes to itself: the one spelling of its bytes. */
function canonical(token: string): boolean {
  return token.split('.').every((segment) => Buffer.from(segment, 'base64url').toString('base64url') === segment);
}

async function joseAccepts(token: string, key: KeyObject, alg: JwsAlgorithm): Promise<boolean> {
  try {
    await jwtVerify(token, key, {
      issuer: ISSUER,
      audience: AUDIENCES,
      algorithms: [alg],
      clockTolerance: 60,
      currentDate: new Date(clock.nowMs()),
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: '100 years', // makes jose check that iat is not in the future, as the service does
    });
    return true;
  } catch {
    return false;
  }
}

const claimsArbitrary = fc.record({
  iss: fc.constantFrom(ISSUER, `${ISSUER}/`, 'https://other.example/api'),
  aud: fc.oneof(fc.constantFrom(...AUDIENCES, 'api://other'), fc.constant(['api://other', 'api://billing'])),
  sub: fc.string({ maxLength: 12 }),
  iat: fc.integer({ min: NOW - 600, max: NOW + 120 }),
  exp: fc.integer({ min: NOW - 300, max: NOW + 3600 }),
  nbf: fc.option(fc.integer({ min: NOW - 600, max: NOW + 300 }), { nil: undefined }),
  jti: fc.string({ minLength: 1, maxLength: 10 }),
});

describe.each(['RS256', 'PS256', 'ES256', 'HS256'] as const)('%s: the same verdict as jose', (alg) => {
  let key: TestKey;
  let joseKey: KeyObject;
  let ring: KeyRing;
  beforeAll(async () => {
    key = makeTestKey(alg, `diff-${alg.toLowerCase()}`, { created: NOW - 86_400 });
    joseKey = key.privateKey instanceof Buffer ? createSecretKey(key.privateKey) : createPublicKey({ key: key.version.publicJwk as never, format: 'jwk' });
    ring = new KeyRing(new StaticKeyStore([key.version], key.privateKey instanceof Buffer ? new Map([[key.version.kid, key.privateKey]]) : undefined), clock, { alg, retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 60_000 });
    await ring.ready();
  });

  const ours = async (token: string): Promise<boolean> => (await verifyToken(token, options, { ring, clock, revocations: { isRevoked: () => false } })).active;

  it('on signed tokens with random claims', async () => {
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, async (claims) => {
        const token = signRaw(key, { alg, typ: 'JWT', kid: key.version.kid }, claims);
        return (await ours(token)) === (await joseAccepts(token, joseKey, alg));
      }),
      { numRuns: 300 },
    );
  });

  it('on one-character mutations of a valid token', async () => {
    const valid = signRaw(key, { alg, typ: 'JWT', kid: key.version.kid }, { iss: ISSUER, aud: 'api://orders', iat: NOW, exp: NOW + 600, jti: 'j' });
    expect(await ours(valid)).toBe(true);
    expect(await joseAccepts(valid, joseKey, alg)).toBe(true);
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), alphabet, async (at, char) => {
        const token = `${valid.slice(0, at)}${char}${valid.slice(at + 1)}`;
        const [mine, theirs] = [await ours(token), await joseAccepts(token, joseKey, alg)];
        return mine === theirs || (!mine && theirs && !canonical(token));
      }),
      { numRuns: 400 },
    );
  });
});
