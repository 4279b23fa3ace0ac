import { constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { nodeSignatureOptions } from '../../src/algorithms';
import { ManualClock } from '../../src/clock';
import { jwkForNode, KeyRing } from '../../src/keys/key-ring';
import { makeTestKey, StaticKeyStore } from '../support/token-factory';

const T0 = 1_800_000_000;

function setup() {
  const clock = new ManualClock(T0 * 1000);
  const old = makeTestKey('ES256', 'old', { created: T0 - 1000, notBefore: T0 - 1000 });
  const current = makeTestKey('ES256', 'current', { created: T0 - 100, notBefore: T0 - 10 });
  const next = makeTestKey('ES256', 'next', { created: T0, notBefore: T0 + 100 });
  const store = new StaticKeyStore([old.version, current.version, next.version]);
  const ring = new KeyRing(store, clock, { alg: 'ES256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
  return { clock, store, ring };
}

describe('KeyRing', () => {
  it('signs with the active key, falling back to the one it replaced', async () => {
    const { ring, clock } = setup();
    await ring.ready();
    expect(ring.signingCandidates().map((k) => k.version.kid)).toEqual(['current', 'old']);
    clock.advance(100_000); // "next" activates
    expect(ring.signingCandidates().map((k) => k.version.kid)).toEqual(['next', 'current']);
  });

  it('sees a version disabled elsewhere after its next refresh, keeping the built key object', async () => {
    const { ring, store } = setup();
    await ring.ready();
    const before = ring.get('old');
    await store.disableVersion('old');
    await ring.refresh();
    expect(ring.get('old')?.version.enabled).toBe(false);
    expect(ring.get('old')?.key).toBe(before?.key);
  });

  it('counts a generation per kid: 0 when first listed, one more whenever a listing finds `enabled` changed', async () => {
    const { ring, store } = setup();
    await ring.ready();
    expect(ring.get('old')?.generation).toBe(0);
    await ring.refresh(); // nothing changed: the same generation (windows and listings alone do not count)
    expect(ring.get('old')?.generation).toBe(0);
    await store.disableVersion('old');
    await ring.refresh();
    expect([ring.get('old')?.generation, ring.get('current')?.generation]).toEqual([1, 0]);
    store.versions = store.versions.map((v) => (v.kid === 'old' ? { ...v, enabled: true } : v));
    await ring.refresh();
    expect(ring.get('old')?.generation).toBe(2);
  });

  it('carries the generation into an HMAC key built again when its secret is re-enabled', async () => {
    const clock = new ManualClock(T0 * 1000);
    const hmac = makeTestKey('HS256', 'hmac', { created: T0 - 100 });
    const store = new StaticKeyStore([{ ...hmac.version, enabled: false }], new Map([['hmac', hmac.privateKey as Buffer]]));
    const ring = new KeyRing(store, clock, { alg: 'HS256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
    await ring.ready();
    const standIn = ring.get('hmac');
    expect(standIn?.generation).toBe(0);
    store.versions = [hmac.version];
    await ring.refresh();
    expect(ring.get('hmac')?.key).not.toBe(standIn?.key); // the real secret now, read from the store
    expect(ring.get('hmac')?.generation).toBe(1);
  });

  it('prebuilds what verification needs once per version: the public key, its verify options and the exact signature length', async () => {
    const clock = new ManualClock(T0 * 1000);
    const pss = makeTestKey('PS256', 'pss', { created: T0 - 100 });
    const ec = makeTestKey('ES384', 'ec', { created: T0 - 50 });
    const ring = new KeyRing(new StaticKeyStore([pss.version, ec.version]), clock, { alg: 'PS256', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
    await ring.ready();
    const built = ring.get('pss');
    expect(built?.key.type).toBe('public');
    expect(built?.signatureLength).toBe(256);
    expect(built?.verifyOptions).toEqual({ key: built?.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(ring.get('ec')?.signatureLength).toBe(96);
    expect(ring.get('ec')?.verifyOptions).toEqual({ key: ring.get('ec')?.key, dsaEncoding: 'ieee-p1363' });
    await ring.refresh();
    expect(ring.get('pss')?.key).toBe(built?.key);
  });

  it('refuses to build an asymmetric version without a public key, or an HMAC version from a store that keeps no secrets', async () => {
    const clock = new ManualClock(T0 * 1000);
    const options = { alg: 'ES256' as const, retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 };
    const bare = makeTestKey('ES256', 'bare', { created: T0 - 100 });
    await expect(new KeyRing(new StaticKeyStore([{ ...bare.version, publicJwk: undefined }]), clock, options).refresh()).rejects.toThrow('Version bare has no public key.');
    const hmac = makeTestKey('HS256', 'hmac', { created: T0 - 100 });
    const secretless = new StaticKeyStore([hmac.version]);
    Object.assign(secretless, { getSecret: undefined });
    await expect(new KeyRing(secretless, clock, { ...options, alg: 'HS256' }).refresh()).rejects.toThrow('cannot provide HMAC secrets');
  });

  it('gives a disabled HMAC version a random stand-in instead of reading its secret (Key Vault refuses to read it)', async () => {
    const clock = new ManualClock(T0 * 1000);
    const hmac = makeTestKey('HS512', 'hmac', { created: T0 - 100 });
    const store = new StaticKeyStore([{ ...hmac.version, enabled: false }]);
    const ring = new KeyRing(store, clock, { alg: 'HS512', retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 });
    await ring.ready(); // the store has no secret for it: reading one would fail the listing
    expect(ring.get('hmac')?.key.symmetricKeySize).toBe(64);
    expect(ring.get('hmac')?.key.export().equals(hmac.privateKey as Buffer)).toBe(false);
    expect(ring.get('hmac')?.signatureLength).toBe(64);
  });
});

describe('jwkForNode', () => {
  it('keeps only the members Node reads, so a published JWK becomes the same public key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = publicKey.export({ format: 'jwk' });
    const published = { kty: 'EC' as const, kid: 'k', alg: 'ES256' as const, use: 'sig' as const, crv: jwk.crv, x: jwk.x, y: jwk.y };
    const forNode = jwkForNode(published);
    expect(forNode).toEqual({ kty: 'EC', n: undefined, e: undefined, crv: jwk.crv, x: jwk.x, y: jwk.y });
    const key = createPublicKey({ key: forNode, format: 'jwk' });
    const signature = sign('sha256', Buffer.from('data'), nodeSignatureOptions('ES256', privateKey));
    expect(key.equals(publicKey)).toBe(true);
    expect(signature).toHaveLength(64);
  });
});
