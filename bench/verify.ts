/**
 * In-process verification: our verifyToken (every RFC 8725 check on, revocation view consulted)
 * against raw crypto.verify with the same key — the physical limit — and two peers, jose and
 * fast-jwt, on the same token, in the same run. The service's TokenVerifier (verified-token cache
 * on) twice: the same token again (a hit: no parsing, no signature) and 20,000 distinct tokens in
 * turn (every one a miss), each against the raw check of the same tokens.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import { createTokenVerifier } from '../src/app/token-verifier';
import { systemClock } from '../src/clock';
import { algorithmSpec, type JwsAlgorithm } from '../src/algorithms';
import { verifyToken, verifyTokenCached } from '../src/jwt/verify';
import { KeyRing } from '../src/keys/key-ring';
import { RevocationSnapshot } from '../src/revocation/revocation-view';
import { localConfig } from '../tests/support/config';
import { makeTestKey, signRaw, StaticKeyStore } from '../tests/support/token-factory';
import { measureAll, row, type Measurement } from './measure';

const ISSUER = 'https://jwt.bench/api';
const AUDIENCE = 'api://orders';
/** More distinct tokens than the verified-token cache keeps (10,000), so every one of them is a miss. */
const DISTINCT_TOKENS = 20_000;

export async function benchVerify(alg: JwsAlgorithm): Promise<{ lines: string[]; results: Measurement[] }> {
  const key = makeTestKey(alg, `bench-${alg.toLowerCase()}`);
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: 'bench-user', aud: AUDIENCE, iat: now, nbf: now, exp: now + 3600, jti: 'bench-jti-0001', role: 'reader' };
  const token = signRaw(key, { alg, typ: 'JWT', kid: key.version.kid }, claims);
  const spec = algorithmSpec(alg);
  const secrets = key.privateKey instanceof Buffer ? new Map([[key.version.kid, key.privateKey]]) : undefined;
  const store = new StaticKeyStore([key.version], secrets);
  const ring = new KeyRing(store, systemClock, { alg, retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
  await ring.ready();
  const revocations = new RevocationSnapshot([{ kind: 'jti', jti: 'another', expires: now + 60 }, { kind: 'sub', sub: 'someone', before: now - 100, expires: now + 60 }]);
  const options = { issuer: ISSUER, audiences: [AUDIENCE], clockSkewSeconds: 60, maxTokenBytes: 16_384 };
  const deps = { ring, clock: systemClock, revocations };
  const check = await verifyToken(token, options, deps);
  if (!check.active) throw new Error(`bench token did not verify: ${check.error}`);
  // The service's verifier (src/app/token-verifier.ts), verified-token cache on, with the same rules.
  const config = localConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCES: AUDIENCE, JWT_CLOCK_SKEW: 'PT60S' });
  const verifier = createTokenVerifier({ ...config, verify: options }, ring, store, systemClock, revocations);
  const distinct = Array.from({ length: DISTINCT_TOKENS }, (_, i) => signRaw(key, { alg, typ: 'JWT', kid: key.version.kid }, { ...claims, jti: `bench-jti-${i}` }));
  let next = 0;
  const nextDistinct = (): string => distinct[(next = (next + 1) % DISTINCT_TOKENS)];

  const signingInput = token.slice(0, token.lastIndexOf('.'));
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  const publicKey = spec.kty === 'oct' ? createSecretKey(key.privateKey as Buffer) : createPublicKey({ key: key.version.publicJwk as never, format: 'jwk' });
  const rawOptions = spec.family === 'RSA-PSS' ? { key: publicKey, padding: 6, saltLength: spec.digestLength } : spec.family === 'EC' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;

  const joseKey = spec.kty === 'oct' ? key.privateKey : await importJWK(key.version.publicJwk as never, alg);
  const fastVerify = createVerifier({
    key: spec.kty === 'oct' ? (key.privateKey as Buffer) : publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache: false,
  });

  const fastCachedVerify = createVerifier({
    key: spec.kty === 'oct' ? (key.privateKey as Buffer) : publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache: true,
  });

  const rawVerify =
    spec.kty === 'oct'
      ? () => timingSafeEqual(createHmac(spec.hash, publicKey).update(signingInput).digest(), signature)
      : () => cryptoVerify(spec.hash, Buffer.from(signingInput), rawOptions, signature);
  // The same raw work on each distinct token: split, decode the signature, check it.
  const rawVerifyOf = (jwt: string): boolean => {
    const dot = jwt.lastIndexOf('.');
    const input = jwt.slice(0, dot);
    const sig = Buffer.from(jwt.slice(dot + 1), 'base64url');
    return spec.kty === 'oct' ? timingSafeEqual(createHmac(spec.hash, publicKey).update(input).digest(), sig) : cryptoVerify(spec.hash, Buffer.from(input), rawOptions, sig);
  };
  let nextRaw = 0;
  const nextRawDistinct = (): string => distinct[(nextRaw = (nextRaw + 1) % DISTINCT_TOKENS)];
  const results: Measurement[] = await measureAll([
    { name: spec.kty === 'oct' ? `raw HMAC + timingSafeEqual (${alg})` : `raw crypto.verify (${alg})`, run: rawVerify },
    { name: `${spec.kty === 'oct' ? 'raw HMAC + timingSafeEqual' : 'raw crypto.verify'}, the ${DISTINCT_TOKENS.toLocaleString('en-US')} distinct tokens in turn (${alg})`, run: () => rawVerifyOf(nextRawDistinct()) },
    { name: `kv-jwt verifyTokenCached, sync (${alg})`, run: () => verifyTokenCached(token, options, deps) },
    { name: `kv-jwt verifyToken, async (${alg})`, run: () => verifyToken(token, options, deps) },
    { name: `kv-jwt TokenVerifier.verify, the same token again: verified-token cache hit (${alg})`, run: () => verifier.verify(token) },
    { name: `kv-jwt TokenVerifier.verify, ${DISTINCT_TOKENS.toLocaleString('en-US')} distinct tokens in turn: every one a miss (${alg})`, run: () => verifier.verify(nextDistinct()) },
    { name: `fast-jwt (${alg}, no cache)`, run: (): unknown => fastVerify(token) as unknown },
    { name: `fast-jwt (${alg}, its own cache on), the same token again`, run: (): unknown => fastCachedVerify(token) as unknown },
    { name: `jose jwtVerify (${alg})`, run: () => jwtVerify(token, joseKey as never, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }) },
  ]);
  // Each row against the raw check of the same tokens: the one token, or the distinct ones in turn.
  const [raw, rawDistinct] = results;
  return { lines: results.map((r) => row(r, r.name.includes('distinct') ? rawDistinct : raw)), results };
}
