/**
 * Encrypted tokens in process: what opening a JWE adds to verifying the signed JWT inside it.
 * - plain verify (the JWS alone) is the baseline;
 * - decrypt + verify with the content key cached (re-verifying a token: no unwrap);
 * - decrypt + verify unwrapping every time (a new token; the embedded store's RSA-OAEP-256
 *   private-key decryption stands where Key Vault's unwrapKey is in Azure);
 * - jose compactDecrypt + jwtVerify with the private key in process, as a peer.
 * And the two failure paths RFC 7516 §11.5 asks to keep alike: a key that does not unwrap and a
 * tag that does not authenticate, both unwrapping.
 */
import { constants, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactDecrypt, importJWK, jwtVerify } from 'jose';
import { systemClock } from '../src/clock';
import { ContentKeyCache } from '../src/jwe/content-key-cache';
import { openToken, type OpenerDependencies } from '../src/jwe/open-token';
import { verifyToken } from '../src/jwt/verify';
import { EmbeddedKeyStore } from '../src/keys/embedded/embedded-key-store';
import { EncryptionKeyRing } from '../src/keys/encryption-ring';
import { KeyRing } from '../src/keys/key-ring';
import { joseJwe, withSegment, flipBit } from '../tests/support/jwe';
import { makeTestKey, signRaw, StaticKeyStore } from '../tests/support/token-factory';
import { measureAll, row } from './measure';

const ISSUER = 'https://jwt.bench/api';
const AUDIENCE = 'api://orders';

export async function benchJwe(): Promise<{ decrypt: string[]; failures: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-bench-jwe-'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const signing = makeTestKey('RS256', 'bench-rs256');
    const claims = { iss: ISSUER, sub: 'bench-user', aud: AUDIENCE, iat: now, nbf: now, exp: now + 3600, jti: 'bench-jti-0001', role: 'reader' };
    const jws = signRaw(signing, { alg: 'RS256', typ: 'JWT', kid: signing.version.kid }, claims);
    const ring = new KeyRing(new StaticKeyStore([signing.version]), systemClock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
    await ring.ready();
    const options = { issuer: ISSUER, audiences: [AUDIENCE], clockSkewSeconds: 60, maxTokenBytes: 16_384 };
    const verifyDeps = { ring, clock: systemClock, revocations: { isRevoked: () => false } };

    const store = new EmbeddedKeyStore({ dir, alg: 'RSA-OAEP-256', clock: systemClock });
    const version = await store.createVersion({ notBefore: now - 10 });
    const encryptionRing = new EncryptionKeyRing(store, systemClock, { alg: 'RSA-OAEP-256', retentionSeconds: 3600, refreshIntervalMs: 3_600_000, unknownKidCooldownMs: 60_000 });
    await encryptionRing.ready();
    const opener = (maxEntries: number): OpenerDependencies => ({
      ring: encryptionRing,
      store,
      cache: new ContentKeyCache(systemClock, { maxEntries, maxAgeMs: 3_600_000 }),
      clock: systemClock,
      maxTokenBytes: 16_384,
      clockSkewSeconds: 60,
    });
    const cached = opener(10_000);
    const uncached = opener(1); // two tokens in turn: every lookup misses
    const publicKey = encryptionRing.current()?.publicKey;
    if (!publicKey) throw new Error('no encryption key');
    const jwes = await Promise.all([1, 2].map(() => joseJwe(jws, publicKey, version.kid)));
    let turn = 0;
    const decryptAndVerify = async (deps: OpenerDependencies, token: string): Promise<void> => {
      const opened = await openToken(token, deps);
      const result = opened.active === false ? opened : await verifyToken(opened.token, options, verifyDeps);
      if (!result.active) throw new Error(`bench JWE did not verify: ${result.error}`);
    };
    await decryptAndVerify(cached, jwes[0]);

    // jose as the recipient, with its own RSA key in process (what a partner's service does): the same work.
    const peer = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const peerJwe = await joseJwe(jws, peer.publicKey, 'peer');
    const joseVerifyKey = await importJWK(signing.version.publicJwk as never, 'RS256');
    const joseOpen = async (): Promise<void> => {
      const { plaintext } = await compactDecrypt(peerJwe, peer.privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'] });
      await jwtVerify(Buffer.from(plaintext).toString(), joseVerifyKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] });
    };
    await joseOpen();
    const decrypt = await measureAll([
      { name: 'kv-jwt verifyToken, plain JWS (RS256)', run: () => verifyToken(jws, options, verifyDeps) },
      { name: 'kv-jwt open + verifyToken, content key cached (a repeat)', run: () => decryptAndVerify(cached, jwes[0]) },
      { name: 'kv-jwt open + verifyToken, content key unwrapped (a new token; embedded RSA-OAEP-256)', run: () => decryptAndVerify(uncached, jwes[(turn += 1) % 2]) },
      { name: 'jose compactDecrypt + jwtVerify (RSA-OAEP-256 in process, every time)', run: joseOpen },
    ]);

    // Two of each, in turn, so that every refusal unwraps (the one-entry cache never holds the next one).
    const badTags = jwes.map((jwe) => withSegment(jwe, 4, flipBit(jwe.split('.')[4])));
    // A ciphertext below the modulus that is not RSA-OAEP-256 of anything (OAEP with SHA-1): the probe an
    // attacker would send. (Random bytes at or above the modulus are refused by OpenSSL before any
    // private-key work, which tells nothing the public key does not.)
    const badKeys = jwes.map((jwe) => withSegment(jwe, 1, publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(32)).toString('base64url')));
    const refuse = async (token: string): Promise<void> => {
      const opened = await openToken(token, uncached);
      if (opened.active !== false || opened.error !== 'decrypt_failed') throw new Error('expected decrypt_failed');
    };
    let tagTurn = 0;
    let keyTurn = 0;
    const failures = await measureAll([
      { name: 'refusing a JWE whose tag does not authenticate (unwrap, AES-GCM fails)', run: () => refuse(badTags[(tagTurn += 1) % 2]) },
      { name: 'refusing a JWE whose key does not unwrap (random content key, AES-GCM fails)', run: () => refuse(badKeys[(keyTurn += 1) % 2]) },
    ]);
    return { decrypt: decrypt.map((r) => row(r, decrypt[0])), failures: failures.map((r) => row(r, failures[0])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
