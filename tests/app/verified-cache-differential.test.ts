import crypto from 'node:crypto';
import { ManualClock, nowSeconds } from '../../src/clock';
import { createTokenVerifier, type TokenVerifier } from '../../src/app/token-verifier';
import { ServiceError } from '../../src/errors';
import { KeyRing } from '../../src/keys/key-ring';
import type { KeyVersion } from '../../src/keys/key-store';
import type { VerifyResult } from '../../src/jwt/verify';
import { RevocationSnapshot, type RevocationEntry } from '../../src/revocation/revocation-view';
import { localConfig } from '../support/config';
import { makeTestKey, signRaw, StaticKeyStore, type TestKey } from '../support/token-factory';

/**
 * The verified-token cache against the verifier without it, driven by one random stream (seeded, so
 * a failure replays): fresh tokens, repeats, forgeries, junk, revocations of every kind, time
 * passing (and, rarely, stepping back), rotations, disabled and re-enabled keys, unknown kids,
 * tokens too long to cache, audiences narrowed per call, and spells of a revocation view that can not
 * judge (fail closed: `revocation_unavailable`). Every answer must be identical, refusals to judge
 * included; the cache is kept small so eviction happens all the time.
 */
const OPERATIONS = 100_000;
const SEED = 20_261_203;
const START_S = 1_800_000_000;
const ISSUER = 'https://jwt.example/api';
const AUDIENCES = ['api://orders', 'api://billing', 'api://audit'];
const SUBJECTS = Array.from({ length: 12 }, (_, i) => `user-${i}`);
const AUDIENCE_CHOICES: Array<readonly string[] | undefined> = [undefined, undefined, undefined, undefined, undefined, ['api://orders'], ['api://billing', 'api://audit'], ['api://audit'], []];

/** mulberry32: small, fast, seedable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('verified-token cache: differential against the uncached verifier', () => {
  it(`gives identical answers over ${OPERATIONS.toLocaleString('en-US')} mixed operations`, async () => {
    const next = random(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const clock = new ManualClock(START_S * 1000);
    const now = (): number => nowSeconds(clock);

    // Key material is made once and reused under new kids: rotations need kids, not new RSA primes.
    const rsaMaterial = [makeTestKey('RS256', 'material-1'), makeTestKey('RS256', 'material-2'), makeTestKey('RS256', 'material-3')];
    const hmac = makeTestKey('HS256', 'hs-1', { created: START_S - 7200 });
    const withKid = (material: TestKey, kid: string, attributes: Partial<KeyVersion>): TestKey => ({
      privateKey: material.privateKey,
      version: { ...material.version, ...attributes, kid, publicJwk: material.version.publicJwk && { ...material.version.publicJwk, kid } },
    });
    const signers = new Map<string, TestKey>([['rs-0', withKid(rsaMaterial[0], 'rs-0', { created: START_S - 3600 })], ['hs-1', hmac]]);
    const stranger = withKid(rsaMaterial[1], 'not-in-the-ring', { created: START_S });
    const store = new StaticKeyStore([...signers.values()].map((k) => k.version), new Map([['hs-1', hmac.privateKey as Buffer]]));
    const ring = new KeyRing(store, clock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 0 });
    await ring.ready();

    const revocationEntries: RevocationEntry[] = [];
    let snapshot = new RevocationSnapshot();
    // Operations left in the current revocation outage (the view stale or never loaded: it throws, as TableRevocationService does).
    let outageLeft = 0;
    const revocations = {
      isRevoked: (subject: Parameters<RevocationSnapshot['isRevoked']>[0]): boolean => {
        if (outageLeft > 0) throw new ServiceError('revocation_unavailable', 'The revocation list is out of date.', { retryAfterSeconds: 10 });
        return snapshot.isRevoked(subject);
      },
    };
    const revoke = (entry: RevocationEntry): void => {
      revocationEntries.push(entry);
      snapshot = new RevocationSnapshot(revocationEntries);
    };

    const config = localConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCES: AUDIENCES.join(','), JWT_CLOCK_SKEW: 'PT30S' });
    const cached: TokenVerifier = createTokenVerifier(config, ring, store, clock, revocations, { cache: { maxEntries: 256, maxWeight: 512 * 1024, maxTokenChars: 1200 } });
    const reference: TokenVerifier = createTokenVerifier(config, ring, store, clock, revocations, { cache: false });

    let serial = 0;
    const issued: string[] = [];
    const issue = (key: TestKey, extra: Record<string, unknown> = {}): string => {
      const iat = now() + Math.floor(next() * 40) - 20;
      const aud = next() < 0.7 ? pick(AUDIENCES) : [pick(AUDIENCES), pick(AUDIENCES)];
      const claims: Record<string, unknown> = { iss: ISSUER, sub: pick(SUBJECTS), aud, iat, exp: iat + 30 + Math.floor(next() * 900), jti: `jti-${(serial += 1)}`, ...extra };
      if (next() < 0.05) claims.nbf = iat + Math.floor(next() * 120);
      return signRaw(key, { alg: key.version.alg, typ: 'JWT', kid: key.version.kid }, claims);
    };
    // The ring's active key, looked up again after a refresh or half a minute (phases() sorts every version).
    let signer: { key: TestKey; refreshes: number; slot: number } | undefined;
    const currentSigner = (): TestKey => {
      const refreshes = ring.health().refreshes;
      const slot = Math.floor(now() / 30);
      if (signer?.refreshes !== refreshes || signer.slot !== slot) {
        const active = ring.phases().find((p) => p.phase === 'active');
        signer = { key: (active && signers.get(active.version.kid)) ?? pick([...signers.values()]), refreshes, slot };
      }
      return signer.key;
    };
    const refresh = (): Promise<void> => ring.refresh();
    // Mostly the last few dozen tokens (callers re-presenting theirs), now and then an old one.
    const recent = (): string => issued[Math.max(0, issued.length - 1 - Math.floor(next() < 0.9 ? next() * 48 : next() * issued.length))];

    const verifySpy = jest.spyOn(crypto, 'verify');
    const signatureChecks = { cached: 0, reference: 0 };
    const verdicts = new Map<string, number>();
    let compared = 0;
    type Answer = VerifyResult | { refused: string };
    const compare = async (token: unknown, audiences: readonly string[] | undefined, locally = false): Promise<void> => {
      const run = async (verifier: TokenVerifier, counter: 'cached' | 'reference'): Promise<Answer> => {
        verifySpy.mockClear(); // counts without keeping every call's arguments
        try {
          return await (locally ? verifier.verifyLocally(token, audiences) : verifier.verify(token, audiences));
        } catch (error: unknown) {
          if (error instanceof ServiceError) return { refused: error.code };
          throw error;
        } finally {
          signatureChecks[counter] += verifySpy.mock.calls.length;
        }
      };
      const first = compared % 2 === 0 ? 'cached' : 'reference';
      const a = await run(first === 'cached' ? cached : reference, first);
      const b = await run(first === 'cached' ? reference : cached, first === 'cached' ? 'reference' : 'cached');
      const [fromCache, fromReference] = first === 'cached' ? [a, b] : [b, a];
      if (JSON.stringify(fromCache) !== JSON.stringify(fromReference)) {
        throw new Error(`operation ${compared}: cached ${JSON.stringify(fromCache)} but uncached ${JSON.stringify(fromReference)}`);
      }
      const verdict = 'refused' in fromReference ? fromReference.refused : fromReference.active ? 'active' : fromReference.error;
      verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
      compared += 1;
    };

    for (let i = 0; i < 20; i += 1) issued.push(issue(currentSigner()));
    for (let op = 0; op < OPERATIONS; op += 1) {
      if (outageLeft > 0) outageLeft -= 1;
      const roll = next();
      if (roll < 0.06) {
        const token = issue(next() < 0.85 ? currentSigner() : pick([...signers.values()]));
        issued.push(token);
        await compare(token, pick(AUDIENCE_CHOICES));
      } else if (roll < 0.7) {
        await compare(recent(), pick(AUDIENCE_CHOICES), next() < 0.1);
      } else if (roll < 0.75) {
        const token = recent();
        const dot = token.lastIndexOf('.');
        const forged = [
          () => `${token.slice(0, -3)}${token.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`, // another signature
          () => `${token.slice(0, dot - 2)}${token[dot - 2] === 'x' ? 'y' : 'x'}${token.slice(dot - 1)}`, // another payload
          () => `${token.slice(0, dot)}${recent().slice(recent().lastIndexOf('.'))}`, // someone else's signature
        ];
        await compare(pick(forged)(), pick(AUDIENCE_CHOICES));
      } else if (roll < 0.77) {
        await compare(pick<unknown>(['', 'a.b.c', 'x'.repeat(50), 42, null, `${recent()}.extra`, recent().split('.').slice(0, 2).join('.')]), undefined);
      } else if (roll < 0.785) {
        await compare(issue(stranger), undefined);
      } else if (roll < 0.795) {
        await compare(issue(currentSigner(), { padding: 'p'.repeat(800 + Math.floor(next() * 400)) }), undefined); // beyond what the cache takes
      } else if (roll < 0.82) {
        const token = recent();
        const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { jti: string; sub: string; exp: number };
        const kind = next();
        if (kind < 0.7) revoke({ kind: 'jti', jti: claims.jti, expires: claims.exp });
        else if (kind < 0.97) revoke({ kind: 'sub', sub: claims.sub, before: now() - 60 - Math.floor(next() * 300), expires: now() + 3600 });
        else revoke({ kind: 'all', before: now() - 600 - Math.floor(next() * 600), expires: now() + 3600 });
      } else if (roll < 0.95) {
        clock.advance((next() < 0.97 ? Math.floor(next() * 4) : -Math.floor(next() * 40)) * 1000);
      } else if (roll < 0.9515) {
        const kid = `rs-${signers.size}`;
        const key = withKid(pick(rsaMaterial), kid, { created: now(), notBefore: now() + Math.floor(next() * 90) });
        signers.set(kid, key);
        store.versions = [...store.versions, key.version];
        await refresh();
      } else if (roll < 0.9545) {
        // Disable a version, or give one back (a Key Vault version can be re-enabled by hand).
        const disabled = store.versions.filter((v) => !v.enabled);
        const victim = (disabled.length > 0 && next() < 0.5 ? pick(disabled) : pick(store.versions)).kid;
        store.versions = store.versions.map((v) => (v.kid === victim ? { ...v, enabled: !v.enabled } : v));
        await refresh();
      } else if (roll < 0.96) {
        await refresh();
      } else if (roll < 0.962) {
        outageLeft = 1 + Math.floor(next() * 20);
      } else {
        await compare(recent(), pick(AUDIENCE_CHOICES));
      }
    }

    verifySpy.mockRestore();
    expect(compared).toBeGreaterThan(80_000);
    // The cache was really used: far fewer signature checks than the uncached verifier made.
    expect(signatureChecks.cached).toBeLessThan(signatureChecks.reference * 0.6);
    for (const verdict of ['active', 'expired', 'not_yet_valid', 'revoked', 'key_disabled', 'key_not_active', 'wrong_audience', 'bad_signature', 'malformed', 'unknown_key', 'revocation_unavailable']) {
      expect({ verdict, seen: (verdicts.get(verdict) ?? 0) > 0 }).toEqual({ verdict, seen: true });
    }
  }, 120_000);
});
