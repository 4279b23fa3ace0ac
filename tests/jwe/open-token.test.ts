import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/audit';
import { createServices, type Services } from '../../src/app/services';
import { systemClock } from '../../src/clock';
import { isServiceError } from '../../src/errors';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { signToken } from '../../src/jwt/sign';
import type { VerifyResult } from '../../src/jwt/verify';
import { localConfig } from '../support/config';
import { CountingEncryptionStore } from '../support/encryption-stores';
import { craftJwe, flipBit, joseJwe, withSegment, wrapRsaOaep256 } from '../support/jwe';
import { b64 } from '../support/token-factory';

/**
 * Opening JWEs addressed to this service, in process: the embedded encryption key behind a store
 * that counts unwraps, the real signing ring and verifier behind it. Every attack of issue 19 ends
 * in `active: false` with its stable code; "bad key" and "bad tag" take one path to one answer.
 */
const AUDIENCE = 'api://orders';
let dir: string;
let services: Services;
let store: CountingEncryptionStore;

const publicKey = (): KeyObject => services.encryption.ring.current()?.publicKey as KeyObject;
const kid = (): string => services.encryption.ring.current()?.version.kid as string;

async function signed(claims: Record<string, unknown> = {}): Promise<string> {
  const token = await signToken(
    { claims: { sub: 'alice', aud: AUDIENCE, ...claims }, authorizedParty: 'test' },
    { issuer: services.config.issuer, audiences: [AUDIENCE], allowedClaims: '*', maxClaimsBytes: 8192, defaultTtlMs: 600_000, maxTtlMs: 3_600_000 },
    services,
  );
  return token.token;
}

/** What /api/verify does: open, then verify the signed JWT inside. */
async function verify(token: string): Promise<VerifyResult> {
  const opened = await services.encryption.open(token);
  return opened.active === false ? opened : services.verifier.verify(opened.token, [AUDIENCE]);
}

async function unwrapsFor(run: () => Promise<unknown>): Promise<number> {
  const before = store.unwraps;
  await run();
  return store.unwraps - before;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-jwe-open-'));
  store = new CountingEncryptionStore(new EmbeddedKeyStore({ dir, alg: 'RSA-OAEP-256', clock: systemClock }));
  const env = { LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: AUDIENCE, JWT_ISSUER: 'https://jwt.test/api', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? '' };
  services = await createServices(localConfig(env), { logger: silentLogger, encryptionStore: store });
});

afterAll(async () => {
  await services?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('opening a JWE to this service', () => {
  it('opens what jose encrypts to the current key, wrapping a token we signed, and verifies the token inside', async () => {
    const inner = await signed({ role: 'reader' });
    for (const enc of ['A256GCM', 'A128GCM'] as const) {
      const result = await verify(await joseJwe(inner, publicKey(), kid(), { enc }));
      expect(result).toMatchObject({ active: true, claims: { sub: 'alice', role: 'reader' } });
    }
  });

  it('passes anything that is not five segments through to the JWS verifier unchanged', async () => {
    const inner = await signed();
    expect(await services.encryption.open(inner)).toEqual({ token: inner });
    expect(await services.encryption.open(42)).toEqual({ token: 42 });
    expect(await services.encryption.open('a.b.c.d')).toEqual({ token: 'a.b.c.d' });
  });

  it('costs one unwrap per distinct token and none for repeats', async () => {
    const tokens = await Promise.all([1, 2, 3].map(async () => joseJwe(await signed(), publicKey(), kid())));
    expect(await unwrapsFor(async () => Promise.all(tokens.map((t) => verify(t))))).toBe(3);
    expect(await unwrapsFor(async () => {
      for (let i = 0; i < 5; i += 1) for (const t of tokens) expect(await verify(t)).toMatchObject({ active: true });
    })).toBe(0);
    // Concurrent first verifies of one new token share one unwrap.
    const fresh = await joseJwe(await signed(), publicKey(), kid());
    expect(await unwrapsFor(() => Promise.all([verify(fresh), verify(fresh), verify(fresh)]))).toBe(1);
  });

  it('answers "bad key" and "bad tag" with one code, each after the same single unwrap', async () => {
    const inner = await signed();
    const good = await joseJwe(inner, publicKey(), kid());
    const badTag = withSegment(good, 4, flipBit(good.split('.')[4]));
    const { publicKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = craftJwe({ header: { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: kid() }, plaintext: inner, publicKey: strangerKey }).token;
    const garbageKey = withSegment(good, 1, randomBytes(256).toString('base64url'));
    const answers: VerifyResult[] = [];
    for (const token of [badTag, wrongKey, garbageKey]) {
      expect(await unwrapsFor(async () => answers.push(await verify(token)))).toBe(1);
    }
    expect(answers).toEqual([0, 1, 2].map(() => ({ active: false, error: 'decrypt_failed', kid: kid() })));
    // Repeating a bad-key token costs no further unwrap either: it is cached like a good one.
    expect(await unwrapsFor(() => verify(wrongKey))).toBe(0);
  });

  it('refuses a content key of the wrong length for enc (RFC 7516 §11.5) with the same code', async () => {
    const token = craftJwe({ header: { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: kid() }, plaintext: await signed(), publicKey: publicKey(), contentKey: randomBytes(16) });
    // craftJwe encrypted with AES-128 under the 16-byte key; the header claims A256GCM.
    expect(await verify(token.token)).toEqual({ active: false, error: 'decrypt_failed', kid: kid() });
  });

  it('refuses tampering with every segment: header, encrypted key, IV, ciphertext, tag', async () => {
    const good = await joseJwe(await signed(), publicKey(), kid());
    const segments = good.split('.');
    const header = JSON.parse(Buffer.from(segments[0], 'base64url').toString()) as Record<string, unknown>;
    const cases: Array<[string, string, string]> = [
      ['header re-encoded (AAD differs)', withSegment(good, 0, b64({ ...header, typ: 'JWT' })), 'decrypt_failed'],
      ['encrypted key bit flipped', withSegment(good, 1, flipBit(segments[1], 100)), 'decrypt_failed'],
      ['encrypted key truncated', withSegment(good, 1, Buffer.from(segments[1], 'base64url').subarray(0, 250).toString('base64url')), 'decrypt_failed'],
      ['IV bit flipped', withSegment(good, 2, flipBit(segments[2])), 'decrypt_failed'],
      ['IV of 8 bytes', withSegment(good, 2, randomBytes(8).toString('base64url')), 'malformed'],
      ['IV of 16 bytes', withSegment(good, 2, randomBytes(16).toString('base64url')), 'malformed'],
      ['ciphertext bit flipped', withSegment(good, 3, flipBit(segments[3], 7)), 'decrypt_failed'],
      ['ciphertext truncated', withSegment(good, 3, Buffer.from(segments[3], 'base64url').subarray(0, 40).toString('base64url')), 'decrypt_failed'],
      ['ciphertext empty', withSegment(good, 3, ''), 'decrypt_failed'],
      ['tag bit flipped', withSegment(good, 4, flipBit(segments[4], 15)), 'decrypt_failed'],
      ['tag truncated', withSegment(good, 4, segments[4].slice(0, 16)), 'malformed'],
    ];
    for (const [name, token, error] of cases) expect([name, await verify(token)]).toEqual([name, expect.objectContaining({ active: false, error })]);
  });

  it('refuses an encrypted key wrapped to another of our keys than the kid names', async () => {
    const other = await services.encryption.store.createVersion({ notBefore: Math.floor(Date.now() / 1000) + 3600 });
    await services.encryption.ring.refresh();
    const otherKey = services.encryption.ring.get(other.kid)?.publicKey as KeyObject;
    const inner = await signed();
    const toOther = await joseJwe(inner, otherKey, other.kid);
    expect(await verify(toOther)).toMatchObject({ active: true }); // an announced key already unwraps (a partner may use it)
    const swapped = craftJwe({ header: { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: kid() }, plaintext: inner, publicKey: publicKey(), encryptedKey: wrapRsaOaep256(otherKey, randomBytes(32)) });
    expect(await verify(swapped.token)).toEqual({ active: false, error: 'decrypt_failed', kid: kid() });
    await services.encryption.store.disableVersion(other.kid);
    await services.encryption.ring.refresh();
    expect(await verify(toOther)).toEqual({ active: false, error: 'key_disabled', kid: other.kid }); // cached content key or not
  });

  it('refuses kids that are not encryption keys of this service: unknown ones and signing keys', async () => {
    const inner = await signed();
    const signingKid = JSON.parse(Buffer.from(inner.split('.')[0], 'base64url').toString()).kid as string;
    for (const foreign of ['f'.repeat(32), signingKid]) {
      const token = await joseJwe(inner, publicKey(), foreign);
      expect(await verify(token)).toEqual({ active: false, error: 'unknown_key', kid: foreign });
    }
  });

  it('requires a signed JWT of this service inside: not unsigned, not another key, not an encryption kid, not a JWE', async () => {
    const inner = await signed();
    const [header, payload] = inner.split('.');
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    const { signRaw, makeTestKey } = await import('../support/token-factory');
    const foreign = makeTestKey('RS256', String(decoded.kid));
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const cases: Array<[string, string, string]> = [
      ['unsigned (alg none, RFC 7519 §6)', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'malformed'],
      ['alg none with a signature', `${b64({ alg: 'none', typ: 'JWT', kid: decoded.kid })}.${payload}.${inner.split('.')[2]}`, 'unsupported_alg'],
      ['signed by a stranger under our kid', signRaw(foreign, decoded, claims), 'bad_signature'],
      ['signed under an unknown kid', signRaw(makeTestKey('RS256', 'e'.repeat(32)), { ...decoded, kid: 'e'.repeat(32) }, claims), 'unknown_key'],
      ['signed under the encryption key\'s kid', signRaw(makeTestKey('RS256', kid()), { ...decoded, kid: kid() }, claims), 'unknown_key'],
      ['a JWE inside the JWE', await joseJwe(inner, publicKey(), kid()), 'wrong_content_type'],
      ['not a token at all', 'hello', 'wrong_content_type'],
    ];
    for (const [name, plaintext, error] of cases) {
      expect([name, await verify(await joseJwe(plaintext, publicKey(), kid()))]).toEqual([name, expect.objectContaining({ active: false, error })]);
    }
  });

  it('refuses a JWS whose payload is a JWE (the verifier reads JSON claims only)', async () => {
    const jwe = await joseJwe(await signed(), publicKey(), kid());
    const { signRaw, makeTestKey } = await import('../support/token-factory');
    const key = makeTestKey('RS256', 'd'.repeat(32));
    expect(await verify(signRaw(key, { alg: 'RS256', kid: 'd'.repeat(32) }, jwe))).toMatchObject({ active: false });
  });

  it('refuses oversized tokens before any key is used', async () => {
    const big = await joseJwe(await signed({ pad: 'x'.repeat(7000) }), publicKey(), kid());
    const huge = withSegment(big, 3, `${big.split('.')[3]}${'A'.repeat(8_000)}`);
    expect(await unwrapsFor(async () => expect(await verify(huge)).toEqual({ active: false, error: 'token_too_large' }))).toBe(0);
  });

  it('answers a store outage with a 503 error, not a verdict, and does not remember it', async () => {
    const token = await joseJwe(await signed(), publicKey(), kid());
    store.failNext = 'unavailable';
    const failure = await verify(token).catch((error: unknown) => error);
    expect(isServiceError(failure) && [failure.code, failure.status]).toEqual(['key_store_unavailable', 503]);
    store.failNext = 'forbidden';
    const forbidden = await verify(token).catch((error: unknown) => error);
    expect(isServiceError(forbidden) && forbidden.code).toBe('key_store_forbidden');
    expect(await verify(token)).toMatchObject({ active: true });
  });
});
