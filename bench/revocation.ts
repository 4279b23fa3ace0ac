/** Verification with the revocation view holding many entries vs no revocation at all. */
import { systemClock } from '../src/clock';
import { verifyToken } from '../src/jwt/verify';
import { KeyRing } from '../src/keys/key-ring';
import { noRevocations } from '../src/revocation/revocation';
import { RevocationSnapshot, type RevocationEntry } from '../src/revocation/revocation-view';
import { makeTestKey, signRaw, StaticKeyStore } from '../tests/support/token-factory';
import { measureAll, row } from './measure';

export async function benchRevocation(): Promise<string[]> {
  const key = makeTestKey('RS256', 'bench-revocation');
  const now = Math.floor(Date.now() / 1000);
  const token = signRaw(key, { alg: 'RS256', typ: 'JWT', kid: key.version.kid }, { iss: 'https://jwt.bench/api', sub: 'bench', aud: 'api://orders', iat: now, exp: now + 3600, jti: 'live' });
  const ring = new KeyRing(new StaticKeyStore([key.version]), systemClock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
  await ring.ready();
  const entries: RevocationEntry[] = [];
  for (let i = 0; i < 10_000; i += 1) entries.push({ kind: 'jti', jti: `revoked-${i}`, expires: now + 600 });
  for (let i = 0; i < 1_000; i += 1) entries.push({ kind: 'sub', sub: `user-${i}`, before: now - 10, expires: now + 600 });
  const options = { issuer: 'https://jwt.bench/api', audiences: ['api://orders'], clockSkewSeconds: 60, maxTokenBytes: 16_384 };
  const view = new RevocationSnapshot(entries);
  const [off, on] = await measureAll([
    { name: 'verifyToken, revocation off', run: () => verifyToken(token, options, { ring, clock: systemClock, revocations: noRevocations }) },
    { name: 'verifyToken, revocation on (11,000 entries)', run: () => verifyToken(token, options, { ring, clock: systemClock, revocations: view }) },
  ]);
  return [row(off, off), row(on, off)];
}

