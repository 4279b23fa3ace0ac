import fc from 'fast-check';
import { systemClock } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { signToken, type SignRules } from '../../src/jwt/sign';
import { verifyToken, type VerifyDependencies, type VerifyOptions } from '../../src/jwt/verify';
import { KeyRing } from '../../src/keys/key-ring';
import { RevocationSnapshot } from '../../src/revocation/revocation-view';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';

/**
 * Properties shared by the fuzz test in `npm test` (a few hundred cases) and `npm run fuzz`
 * (100,000+): verification never throws and never accepts a token it did not issue unchanged;
 * signing answers bad claims with a 4xx ServiceError and otherwise issues a token that verifies.
 */
export interface FuzzSubject {
  genuine: string;
  options: VerifyOptions;
  deps: VerifyDependencies;
  rules: SignRules;
  sign: (claims: unknown, ttlSeconds?: unknown) => Promise<string>;
}

export async function makeFuzzSubject(dir: string): Promise<FuzzSubject> {
  const store = new EmbeddedKeyStore({ dir, alg: 'ES256', clock: systemClock });
  await store.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 5 });
  const ring = new KeyRing(store, systemClock, { alg: 'ES256', retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 3_600_000 });
  await ring.ready();
  const rules: SignRules = { issuer: 'https://jwt.fuzz/api', audiences: ['api://a', 'api://b'], allowedClaims: '*', maxClaimsBytes: 4096, defaultTtlMs: 600_000, maxTtlMs: 3_600_000 };
  const options: VerifyOptions = { issuer: rules.issuer, audiences: rules.audiences, clockSkewSeconds: 30, maxTokenBytes: 8192 };
  const deps: VerifyDependencies = { ring, clock: systemClock, revocations: new RevocationSnapshot([]) };
  const sign = async (claims: unknown, ttlSeconds?: unknown): Promise<string> => (await signToken({ claims, ttlSeconds, authorizedParty: 'fuzz' }, rules, { ring, store, clock: systemClock })).token;
  return { genuine: await sign({ sub: 'fuzz', aud: 'api://a' }), options, deps, rules, sign };
}

const base64url = fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/);
const jsonSegment = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));
const headerSegment = fc
  .record({ alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'HS256', 'none', 'ES512'), fc.string()), kid: fc.oneof(fc.string(), fc.integer()), typ: fc.option(fc.string()), crit: fc.option(fc.array(fc.string())) }, { requiredKeys: [] })
  .map((h) => Buffer.from(JSON.stringify(h)).toString('base64url'));
const segment = fc.oneof(base64url, jsonSegment, headerSegment, fc.string());

export function arbitraryToken(genuine: string): fc.Arbitrary<string> {
  const [h, p, s] = genuine.split('.');
  const mutated = fc.tuple(fc.nat({ max: genuine.length - 1 }), fc.string({ minLength: 1, maxLength: 1 })).map(([i, c]) => `${genuine.slice(0, i)}${c}${genuine.slice(i + 1)}`).filter((t) => t !== genuine);
  return fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    fc.tuple(segment, segment).map(([a, b]) => `${h}.${a}.${b}`),
    fc.tuple(headerSegment, jsonSegment).map(([a, b]) => `${a}.${b}.${s}`),
    fc.tuple(jsonSegment).map(([b]) => `${h}.${b}.${s}`),
    fc.tuple(headerSegment).map(([a]) => `${a}.${p}.${s}`),
    mutated,
  );
}

/** No exception, no acceptance of anything but the genuine token. */
export async function checkVerify(subject: FuzzSubject, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitraryToken(subject.genuine), async (token) => {
      const result = await verifyToken(token, subject.options, subject.deps);
      // A mutation can only be accepted if it decodes to exactly the genuine bytes (base64url has one
      // spelling per value here, so that means it is the genuine token).
      return !result.active || token === subject.genuine;
    }),
    { numRuns: runs },
  );
}

const claimValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
const claims = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.oneof(fc.constantFrom('aud', 'sub', 'nbf', 'iss', 'exp', 'jti', 'iat', '__proto__', 'constructor'), fc.string()), claimValue),
  fc.record({ aud: fc.oneof(fc.constantFrom('api://a', 'api://b', 'api://c'), claimValue), sub: fc.option(claimValue) }),
);

/** Bad claims are a 4xx ServiceError; good ones give a token that verifies as active. */
export async function checkSign(subject: FuzzSubject, runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(claims, fc.option(fc.oneof(fc.integer(), fc.double(), fc.string())), async (claimSet, ttl) => {
      let token: string;
      try {
        token = await subject.sign(claimSet, ttl ?? undefined);
      } catch (error: unknown) {
        return error instanceof ServiceError && error.status >= 400 && error.status < 500;
      }
      const result = await verifyToken(token, subject.options, subject.deps);
      return result.active || (result.active === false && result.error === 'not_yet_valid');
    }),
    { numRuns: runs },
  );
}
