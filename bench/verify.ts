/**
 * In-process verification: our verifyToken (every RFC 8725 check on, revocation view consulted)
 * against raw crypto.verify with the same key — the physical limit — and two peers, jose and
 * fast-jwt, on the same token, in the same run.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import { systemClock } from '../src/clock';
import { algorithmSpec, type JwsAlgorithm } from '../src/algorithms';
import { verifyToken, verifyTokenCached } from '../src/jwt/verify';
import { KeyRing } from '../src/keys/key-ring';
import { RevocationSnapshot } from '../src/revocation/revocation-view';
import { makeTestKey, signRaw, StaticKeyStore } from '../tests/support/token-factory';
import { measureAll, row, type Measurement } from './measure';

const ISSUER = 'https://jwt.bench/api';
const AUDIENCE = 'api://orders';

export async function benchVerify(alg: JwsAlgorithm): Promise<{ lines: string[]; results: Measurement[] }> {
  const key = makeTestKey(alg, `bench-${alg.toLowerCase()}`);
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: 'bench-user', aud: AUDIENCE, iat: now, nbf: now, exp: now + 3600, jti: 'bench-jti-0001', role: 'reader' };
  const token = signRaw(key, { alg, typ: 'JWT', kid: key.version.kid }, claims);
  const spec = algorithmSpec(alg);
  const secrets = key.privateKey instanceof Buffer ? new Map([[key.version.kid, key.privateKey]]) : undefined;
  const ring = new KeyRing(new StaticKeyStore([key.version], secrets), systemClock, { alg, retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
  await ring.ready();
  const revocations = new RevocationSnapshot([{ kind: 'jti', jti: 'another', expires: now + 60 }, { kind: 'sub', sub: 'someone', before: now - 100, expires: now + 60 }]);
  const options = { issuer: ISSUER, audiences: [AUDIENCE], clockSkewSeconds: 60, maxTokenBytes: 16_384 };
  const deps = { ring, clock: systemClock, revocations };
  const check = await verifyToken(token, options, deps);
  if (!check.active) throw new Error(`bench token did not verify: ${check.error}`);

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

  const rawVerify =
    spec.kty === 'oct'
      ? () => timingSafeEqual(createHmac(spec.hash, publicKey).update(signingInput).digest(), signature)
      : () => cryptoVerify(spec.hash, Buffer.from(signingInput), rawOptions, signature);
  const results: Measurement[] = await measureAll([
    { name: spec.kty === 'oct' ? `raw HMAC + timingSafeEqual (${alg})` : `raw crypto.verify (${alg})`, run: rawVerify },
    { name: `kv-jwt verifyTokenCached, sync (${alg})`, run: () => verifyTokenCached(token, options, deps) },
    { name: `kv-jwt verifyToken, async (${alg})`, run: () => verifyToken(token, options, deps) },
    { name: `fast-jwt (${alg}, no cache)`, run: (): unknown => fastVerify(token) as unknown },
    { name: `jose jwtVerify (${alg})`, run: () => jwtVerify(token, joseKey as never, { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }) },
  ]);
  const raw = results[0];
  return { lines: results.map((r) => row(r, raw)), results };
}
