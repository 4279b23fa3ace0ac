/**
 * The encryption key's cached versions (encryption-ring.ts): the version tokens are encrypted to
 * is the active one; each version is prebuilt with its public key and the exact length of an
 * encrypted key; a version without an RSA public key is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../src/clock';
import { EncryptionKeyRing } from '../../src/keys/encryption-ring';
import type { EncryptionKeyStore, KeyVersion } from '../../src/keys/key-store';

const T0 = 1_800_000_000;
const OPTIONS = { alg: 'RSA-OAEP-256' as const, retentionSeconds: 60, refreshIntervalMs: 10_000, unknownKidCooldownMs: 5_000 };

function rsaVersion(kid: string, notBefore: number, modulusLength = 2048): KeyVersion<'RSA-OAEP-256'> {
  const jwk = generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' });
  return { kid, alg: 'RSA-OAEP-256', created: notBefore - 10, notBefore, enabled: true, tags: {}, publicJwk: { kty: 'RSA', kid, alg: 'RSA-OAEP-256', use: 'enc', n: jwk.n, e: jwk.e } };
}

function storeOf(versions: KeyVersion<'RSA-OAEP-256'>[]): EncryptionKeyStore {
  return {
    kind: 'embedded',
    listVersions: () => Promise.resolve(versions),
    createVersion: () => Promise.reject(new Error('read-only')),
    disableVersion: () => Promise.reject(new Error('read-only')),
    unwrapKey: () => Promise.reject(new Error('not here')),
  };
}

const versions = [rsaVersion('previous', T0 - 1000), rsaVersion('current', T0 - 10, 3072), rsaVersion('next', T0 + 100)];

describe('EncryptionKeyRing', () => {
  it('encrypts to the active version, and to its successor once that activates', async () => {
    const clock = new ManualClock(T0 * 1000);
    const ring = new EncryptionKeyRing(storeOf(versions), clock, OPTIONS);
    await ring.ready();
    expect(ring.current()?.version.kid).toBe('current');
    clock.advance(100_000);
    expect(ring.current()?.version.kid).toBe('next');
  });

  it('keeps announced and retired versions for unwrapping, each with its public key and the modulus length of an encrypted key', async () => {
    const ring = new EncryptionKeyRing(storeOf(versions), new ManualClock(T0 * 1000), OPTIONS);
    await ring.ready();
    expect(['previous', 'current', 'next'].map((kid) => ring.get(kid)?.encryptedKeyLength)).toEqual([256, 384, 256]);
    expect(ring.get('current')?.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect([ring.get('previous')?.activeUntil, ring.get('current')?.activeFrom]).toEqual([T0 - 10, T0 - 10]);
  });

  it('has no current version while none is active', async () => {
    const ring = new EncryptionKeyRing(storeOf([rsaVersion('announced', T0 + 100)]), new ManualClock(T0 * 1000), OPTIONS);
    await ring.ready();
    expect(ring.current()).toBeUndefined();
    expect(ring.get('announced')).toBeDefined();
  });

  it('refuses a version without an RSA public key', async () => {
    const ec = { ...rsaVersion('ec', T0 - 10), publicJwk: { kty: 'EC' as const, kid: 'ec', alg: 'RSA-OAEP-256' as const, use: 'enc' as const, crv: 'P-256', x: 'x', y: 'y' } };
    await expect(new EncryptionKeyRing(storeOf([ec]), new ManualClock(T0 * 1000), OPTIONS).refresh()).rejects.toThrow('Encryption key version ec has no RSA public key.');
    const bare = { ...rsaVersion('bare', T0 - 10), publicJwk: undefined };
    await expect(new EncryptionKeyRing(storeOf([bare]), new ManualClock(T0 * 1000), OPTIONS).refresh()).rejects.toThrow('has no RSA public key');
  });
});
