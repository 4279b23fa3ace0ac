import crypto, { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { silentLogger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { TableRevocationService } from '../../src/revocation/table-revocation-service';
import { createTokenVerifier, type TokenVerifier } from '../../src/app/token-verifier';
import { KeyRing } from '../../src/keys/key-ring';
import type { RevocationSubject } from '../../src/revocation/revocation';
import { localConfig } from '../support/config';
import { makeTestKey, signRaw, StaticKeyStore, type TestKey } from '../support/token-factory';

/**
 * The verified-token cache as the service uses it: a token presented again skips the signature
 * check (counted on node:crypto) and nothing else. Each rule that can turn a cached verdict has a
 * test that would fail if the hit skipped it; a revocation view that can not judge (fail closed) is
 * a 503 on a hit as on a miss, and never cached.
 */
const NOW = 1_800_000_000;
const ISSUER = 'https://jwt.example/api';
const config = localConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCES: 'api://orders,api://billing', JWT_CLOCK_SKEW: 'PT60S' });

let key: TestKey;
let clock: ManualClock;
let store: StaticKeyStore;
let ring: KeyRing;
let revoked: Set<string>;
let verifier: TokenVerifier;

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, sub: 'alice', aud: 'api://orders', iat: NOW, exp: NOW + 600, jti: 'j1', ...extra };
}

function issue(extra: Record<string, unknown> = {}, signer: TestKey = key): string {
  return signRaw(signer, { alg: signer.version.alg, typ: 'JWT', kid: signer.version.kid }, claims(extra));
}

/** Verifies and counts the RSA signature checks it made. */
async function checked(token: unknown, audiences?: readonly string[]): Promise<{ verdict: string; signatureChecks: number }> {
  const spy = jest.spyOn(crypto, 'verify');
  try {
    const result = await verifier.verify(token, audiences);
    return { verdict: result.active ? 'active' : result.error, signatureChecks: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

/** Presents a token until it is served from the cache (admitted on its second verification). */
async function warm(token: string): Promise<void> {
  await verifier.verify(token);
  await verifier.verify(token);
  expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 0 });
}

beforeAll(() => {
  key = makeTestKey('RS256', 'kid-1', { created: NOW - 3600 });
});

beforeEach(async () => {
  clock = new ManualClock(NOW * 1000);
  store = new StaticKeyStore([key.version]);
  ring = new KeyRing(store, clock, { alg: 'RS256', retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 0 });
  await ring.ready();
  revoked = new Set();
  verifier = createTokenVerifier(config, ring, store, clock, { isRevoked: (t: RevocationSubject) => revoked.has(t.jti ?? '') || revoked.has(`sub:${t.sub ?? ''}`) });
});

describe('TokenVerifier with the verified-token cache', () => {
  it('checks the signature of the first two presentations and of none after', async () => {
    const token = issue();
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 0 });
    const result = await verifier.verify(token);
    expect(result).toEqual({ active: true, claims: claims(), payloadJson: JSON.stringify(claims()), kid: 'kid-1', alg: 'RS256' });
  });

  it('re-checks expiry against the clock on a hit', async () => {
    const token = issue({ exp: NOW + 100 });
    await warm(token);
    clock.advance(161_000); // past exp + skew
    expect(await checked(token)).toEqual({ verdict: 'expired', signatureChecks: 0 });
  });

  it('re-checks nbf and iat against the clock on a hit (a clock set back)', async () => {
    const token = issue({ nbf: NOW + 30 });
    await warm(token);
    clock.advance(-120_000);
    expect((await checked(token)).verdict).toBe('not_yet_valid');
  });

  it('re-checks revocation on a hit, by jti and by subject', async () => {
    const first = issue({ jti: 'one' });
    const second = issue({ jti: 'two', sub: 'bob' });
    await warm(first);
    await warm(second);
    revoked.add('one');
    revoked.add('sub:bob');
    expect(await checked(first)).toEqual({ verdict: 'revoked', signatureChecks: 0 });
    expect(await checked(second)).toEqual({ verdict: 'revoked', signatureChecks: 0 });
  });

  it('re-checks the audience against the audiences of this call', async () => {
    const token = issue({ aud: 'api://orders' });
    await warm(token);
    expect(await checked(token, ['api://billing'])).toEqual({ verdict: 'wrong_audience', signatureChecks: 0 });
    expect(await checked(token, ['api://orders'])).toEqual({ verdict: 'active', signatureChecks: 0 });
  });

  it('refuses a cached token once its key is disabled, and again after it is re-enabled it re-checks the signature', async () => {
    const token = issue();
    await warm(token);
    await store.disableVersion('kid-1');
    await ring.refresh();
    expect((await checked(token)).verdict).toBe('key_disabled');
    store.versions = store.versions.map((v) => ({ ...v, enabled: true }));
    await ring.refresh();
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
  });

  it('drops an entry when its key version changes generation, even before a verdict turns', async () => {
    const token = issue();
    await warm(token);
    store.versions = store.versions.map((v) => ({ ...v, enabled: false }));
    await ring.refresh();
    store.versions = store.versions.map((v) => ({ ...v, enabled: true }));
    await ring.refresh(); // enabled again, but generation 2: the old conclusion is not trusted
    expect(ring.get('kid-1')?.generation).toBe(2);
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
  });

  it('re-checks the key’s active window: a token the old key signed after its successor took over is refused', async () => {
    const token = issue({ iat: NOW, exp: NOW + 3000 });
    await warm(token);
    // A successor that activated (backdated) long before the token's iat: kid-1 stopped signing then.
    const successor = makeTestKey('RS256', 'kid-2', { created: NOW - 1800 });
    store.versions = [...store.versions, successor.version];
    await ring.refresh();
    expect(await checked(token)).toEqual({ verdict: 'key_not_active', signatureChecks: 0 });
  });

  it('never caches a forged token: every presentation is checked and refused', async () => {
    const token = issue();
    const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (let i = 0; i < 4; i += 1) expect(await checked(forged)).toEqual({ verdict: 'bad_signature', signatureChecks: 1 });
    const tampered = issue().replace(/\.([^.]+)\./, (_m, payload: string) => `.${payload.slice(0, 8)}${payload[8] === 'Q' ? 'R' : 'Q'}${payload.slice(9)}.`);
    for (let i = 0; i < 3; i += 1) expect((await checked(tampered)).signatureChecks).toBe(1);
  });

  it('does not let a cached token vouch for another that shares its signature', async () => {
    const token = issue();
    await warm(token);
    const [, , signature] = token.split('.');
    const other = `${issue({ sub: 'mallory' }).split('.').slice(0, 2).join('.')}.${signature}`;
    expect(await checked(other)).toEqual({ verdict: 'bad_signature', signatureChecks: 1 });
  });

  it('leaves VERIFY_MODE=keyvault alone: every verify is a Key Vault verify', async () => {
    const remote = jest.fn(() => Promise.resolve(true));
    const vaultStore = Object.assign(store, { verify: remote });
    const keyvault = createTokenVerifier({ ...config, verifyMode: 'keyvault' }, ring, vaultStore, clock, { isRevoked: () => false });
    const token = issue();
    for (let i = 0; i < 4; i += 1) expect((await keyvault.verify(token)).active).toBe(true);
    expect(remote).toHaveBeenCalledTimes(4);
  });

  it('answers without the cache what it does not take: non-strings, and tokens longer than it keeps', async () => {
    expect((await checked(42)).verdict).toBe('malformed');
    const long = issue({ padding: 'p'.repeat(5000) });
    for (let i = 0; i < 3; i += 1) expect(await checked(long)).toEqual({ verdict: 'active', signatureChecks: 1 });
  });

  it('answers revocation_unavailable on a hit as the full path does (a rejected promise), and keeps the entry: an outage is no verdict', async () => {
    let available = true;
    verifier = createTokenVerifier(config, ring, store, clock, {
      isRevoked: () => {
        if (!available) throw new ServiceError('revocation_unavailable', 'The revocation list is out of date.', { retryAfterSeconds: 10 });
        return false;
      },
    });
    const token = issue();
    await warm(token);
    available = false;
    const answer = verifier.verify(token); // no synchronous throw: callers chaining on the promise see it too
    await expect(answer).rejects.toMatchObject({ code: 'revocation_unavailable', status: 503 });
    available = true;
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 0 });
  });

  it('admits nothing while revocation is unavailable: a token first seen then counts no sighting', async () => {
    let available = false;
    verifier = createTokenVerifier(config, ring, store, clock, {
      isRevoked: () => {
        if (!available) throw new ServiceError('revocation_unavailable', 'The revocation list has not been loaded yet.', { retryAfterSeconds: 5 });
        return false;
      },
    });
    const token = issue();
    for (let i = 0; i < 3; i += 1) await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'revocation_unavailable' });
    available = true;
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 1 });
    expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 0 });
  });

  it('fails closed on a hit when the Table Storage revocation view goes stale beyond its bound (Azurite)', async () => {
    const connection = process.env.AZURITE_CONNECTION_STRING;
    if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
    const client = TableClient.fromConnectionString(connection, `rev${randomUUID().replace(/-/g, '').slice(0, 16)}`, { allowInsecureConnection: true });
    const revocations = new TableRevocationService({ client, clock, logger: silentLogger, coverSeconds: 3660, syncIntervalMs: 60_000, maxStalenessMs: 60_000 });
    try {
      await revocations.start();
      verifier = createTokenVerifier(config, ring, store, clock, revocations);
      const token = issue({ jti: 'stale-view' });
      await warm(token);
      // Storage gone: the view serves its last good state for 60 s, then refuses to judge.
      (client as unknown as { getEntity: () => Promise<never> }).getEntity = () => Promise.reject(Object.assign(new Error('down'), { name: 'RestError' }));
      clock.advance(30_000);
      await expect(revocations.sync()).rejects.toThrow('down');
      expect(await checked(token)).toEqual({ verdict: 'active', signatureChecks: 0 });
      clock.advance(31_000);
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'revocation_unavailable', status: 503 });
    } finally {
      await revocations.close();
    }
  });

  it('can be turned off (the differential test’s reference)', async () => {
    verifier = createTokenVerifier(config, ring, store, clock, { isRevoked: () => false }, { cache: false });
    const token = issue();
    for (let i = 0; i < 3; i += 1) expect((await checked(token)).signatureChecks).toBe(1);
  });
});
