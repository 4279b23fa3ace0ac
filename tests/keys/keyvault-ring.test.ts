/**
 * The core (key ring, JWT sign and verify) on the Key Vault adapter against the double, without
 * HTTP: both verify modes, disabled versions, outage behaviour and the Key Vault call economy.
 */
import { randomBytes } from 'node:crypto';
import { systemClock } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { signToken } from '../../src/jwt/sign';
import type { SignRules } from '../../src/jwt/sign';
import { verifyToken } from '../../src/jwt/verify';
import type { VerifyDependencies, VerifyOptions } from '../../src/jwt/verify';
import { KeyRing } from '../../src/keys/key-ring';
import type { KeyVaultKeyStore } from '../../src/keys/keyvault/keyvault-key-store';
import { startKeyVaultDouble } from '../support/keyvault-double';
import type { KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, storeOnDouble, uniqueKeyName } from '../support/keyvault-double/adapter-fixture';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api://service';
const rules: SignRules = { issuer: ISSUER, audiences: [AUDIENCE], allowedClaims: '*', maxClaimsBytes: 4096, defaultTtlMs: 600_000, maxTtlMs: 3_600_000 };
const verifyOptions: VerifyOptions = { issuer: ISSUER, audiences: [AUDIENCE], clockSkewSeconds: 30, maxTokenBytes: 8192 };
const claims = { sub: 'caller', aud: AUDIENCE };

let vault: KeyVaultDouble;
let store: KeyVaultKeyStore;
let ring: KeyRing;

function newRing(forStore: KeyVaultKeyStore): KeyRing {
  return new KeyRing(forStore, systemClock, { alg: 'RS256', retentionSeconds: 7200, refreshIntervalMs: 600_000, unknownKidCooldownMs: 60_000 });
}

function deps(mode: 'local' | 'keyvault', forRing: KeyRing = ring, forStore: KeyVaultKeyStore = store): VerifyDependencies {
  return {
    ring: forRing,
    clock: systemClock,
    revocations: { isRevoked: () => false },
    remoteVerify: mode === 'keyvault' ? (kid, alg, input, signature) => forStore.verify(kid, alg, input, signature) : undefined,
  };
}

const sign = (forRing: KeyRing = ring, forStore: KeyVaultKeyStore = store) => signToken({ claims, authorizedParty: 'test-caller' }, rules, { ring: forRing, store: forStore, clock: systemClock });

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble({ pageSize: 2 });
  store = storeOnDouble(vault, uniqueKeyName());
  await store.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 3600 });
  ring = newRing(store);
  await sign(); // warm: token, challenge, ring
});
afterAll(async () => vault.stop());
afterEach(() => vault.faults.clear());

describe('sign → verify through Key Vault', () => {
  it.each(['local', 'keyvault'] as const)('verifies its own tokens with VERIFY_MODE=%s', async (mode) => {
    const { token, kid } = await sign();
    const result = await verifyToken(token, verifyOptions, deps(mode), [AUDIENCE]);
    expect(result).toEqual(expect.objectContaining({ active: true, kid }));
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${randomBytes(256).toString('base64url')}`;
    expect(await verifyToken(forged, verifyOptions, deps(mode), [AUDIENCE])).toEqual(expect.objectContaining({ active: false, error: 'bad_signature' }));
  });

  it('costs one sign call per token and no call per local verify; keyvault mode costs one verify call', async () => {
    const before = vault.counters.snapshot();
    const tokens: string[] = [];
    for (let i = 0; i < 25; i += 1) tokens.push((await sign()).token);
    const signed = vault.counters.snapshot();
    for (const token of tokens) expect((await verifyToken(token, verifyOptions, deps('local'), [AUDIENCE])).active).toBe(true);
    const locallyVerified = vault.counters.snapshot();
    for (const token of tokens) expect((await verifyToken(token, verifyOptions, deps('keyvault'), [AUDIENCE])).active).toBe(true);
    const remotelyVerified = vault.counters.snapshot();
    const total = (a: Record<string, number>, b: Record<string, number>): number => Object.keys(a).reduce((sum, key) => sum + a[key] - b[key], 0);
    expect(signed.sign - before.sign).toBe(25);
    expect(total(signed, before)).toBe(25);
    expect(total(locallyVerified, signed)).toBe(0);
    expect(remotelyVerified.verify - locallyVerified.verify).toBe(25);
    expect(total(remotelyVerified, locallyVerified)).toBe(25);
  });

  it('bounds refreshes under a flood of unknown kids', async () => {
    const { token } = await sign();
    const [header, payload, signature] = token.split('.');
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
    const before = vault.counters.snapshot();
    for (let i = 0; i < 100; i += 1) {
      const forgedHeader = Buffer.from(JSON.stringify({ ...decoded, kid: randomBytes(16).toString('hex') })).toString('base64url');
      const result = await verifyToken(`${forgedHeader}.${payload}.${signature}`, verifyOptions, deps('local'), [AUDIENCE]);
      expect(result).toEqual(expect.objectContaining({ active: false, error: 'unknown_key' }));
    }
    const after = vault.counters.snapshot();
    expect(after.list - before.list).toBeLessThanOrEqual(1);
    expect(after.get - before.get).toBe(0);
  });
});

describe('disabled versions and outages', () => {
  it("refuses tokens of a disabled version once the ring knows, and signs with no disabled version", async () => {
    const ownStore = storeOnDouble(vault, uniqueKeyName());
    const old = await ownStore.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 7200 });
    const ownRing = newRing(ownStore);
    const { token } = await sign(ownRing, ownStore);
    await ownStore.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 3600 });
    await ownStore.disableVersion(old.kid);
    await ownRing.refresh();
    expect(await verifyToken(token, verifyOptions, deps('local', ownRing, ownStore), [AUDIENCE])).toEqual(expect.objectContaining({ active: false, error: 'key_disabled' }));
    expect((await sign(ownRing, ownStore)).kid).not.toBe(old.kid);
  });

  it('keeps verifying from cache during an outage; signing answers 503 with Retry-After, then recovers', async () => {
    const { token } = await sign();
    vault.faults.setOutage(true);
    expect((await verifyToken(token, verifyOptions, deps('local'), [AUDIENCE])).active).toBe(true);
    const failure = await sign().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceError);
    expect(failure).toEqual(expect.objectContaining({ code: 'key_store_unavailable', status: 503, retryAfterSeconds: expect.any(Number) }));
    vault.faults.setOutage(false);
    const recovered = await sign();
    expect((await verifyToken(recovered.token, verifyOptions, deps('local'), [AUDIENCE])).active).toBe(true);
  });

  it('answers 503 key_store_forbidden naming the role when the identity may not sign', async () => {
    vault.faults.forbid('sign');
    const failure = await sign().then(() => undefined, (error: unknown) => error);
    expect(failure).toEqual(expect.objectContaining({ code: 'key_store_forbidden', status: 503 }));
    expect((failure as Error).message).toContain('Key Vault Crypto User');
  });
});
