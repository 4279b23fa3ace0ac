/**
 * From Key Vault's shapes to the port's (version-mapping.ts): the bare version id as kid, Unix
 * seconds, the version's algorithm from its tag when it fits the key (else from the key itself),
 * base64url public JWKs with no private member, and encryption versions that are RSA or nothing.
 */
import type { JsonWebKey, KeyProperties } from '@azure/keyvault-keys';
import { algorithmOf, toEncryptionKeyVersion, toKeyVersion, toPublicJwk } from '../../../src/keys/keyvault/version-mapping';

const VERSION = '0123456789abcdef0123456789abcdef';
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const RSA_JWK: JsonWebKey = { kid: `https://kv.vault.azure.net/keys/jwt-signing/${VERSION}`, kty: 'RSA', n: bytes('modulus'), e: new Uint8Array([1, 0, 1]), d: bytes('private'), keyOps: ['sign', 'verify'] };
const EC_JWK: JsonWebKey = { kty: 'EC', crv: 'P-384', x: bytes('x-coord'), y: bytes('y-coord'), d: bytes('private') };

function properties(overrides: Partial<KeyProperties> = {}): KeyProperties {
  return { name: 'jwt-signing', vaultUrl: 'https://kv.vault.azure.net', version: VERSION, createdOn: new Date(1_800_000_000_900), ...overrides };
}

describe('algorithmOf', () => {
  it('takes the alg tag when it fits the key type', () => {
    expect(algorithmOf({ alg: 'PS384' }, RSA_JWK, 'RS256')).toBe('PS384');
    expect(algorithmOf({ alg: 'PS384' }, { ...RSA_JWK, kty: 'RSA-HSM' }, 'RS256')).toBe('PS384');
    expect(algorithmOf({ alg: 'ES384' }, EC_JWK, 'RS256')).toBe('ES384');
  });

  it('ignores a tag that does not fit: another key type, HMAC, or no algorithm at all', () => {
    expect(algorithmOf({ alg: 'ES256' }, RSA_JWK, 'PS256')).toBe('PS256');
    expect(algorithmOf({ alg: 'HS256' }, RSA_JWK, 'RS384')).toBe('RS384');
    expect(algorithmOf({ alg: 'none' }, EC_JWK, 'RS256')).toBe('ES384');
  });

  it('without a usable tag: the curve names the ES algorithm, an RSA key keeps the configured RSA algorithm or RS256', () => {
    expect(['P-256', 'P-384', 'P-521'].map((crv) => algorithmOf({}, { ...EC_JWK, crv }, 'RS256'))).toEqual(['ES256', 'ES384', 'ES512']);
    expect(algorithmOf({}, RSA_JWK, 'PS512')).toBe('PS512');
    expect(algorithmOf({}, RSA_JWK, 'ES256')).toBe('RS256');
  });

  it('trusts a fitting tag or the configured algorithm when the key material is unknown (a disabled version)', () => {
    expect(algorithmOf({ alg: 'ES512' }, undefined, 'RS256')).toBe('ES512');
    expect(algorithmOf({}, undefined, 'PS256')).toBe('PS256');
  });
});

describe('toPublicJwk', () => {
  it('publishes RSA n/e and EC crv/x/y as base64url, with the bare kid, and never a private member', () => {
    expect(toPublicJwk(RSA_JWK, VERSION, 'RS256')).toEqual({ kty: 'RSA', kid: VERSION, alg: 'RS256', use: 'sig', n: Buffer.from('modulus').toString('base64url'), e: 'AQAB' });
    expect(toPublicJwk({ ...EC_JWK, kty: 'EC-HSM' }, VERSION, 'ES384')).toEqual({ kty: 'EC', kid: VERSION, alg: 'ES384', use: 'sig', crv: 'P-384', x: Buffer.from('x-coord').toString('base64url'), y: Buffer.from('y-coord').toString('base64url') });
  });

  it('publishes nothing for an incomplete key or another key type', () => {
    expect(toPublicJwk({ ...RSA_JWK, e: undefined }, VERSION, 'RS256')).toBeUndefined();
    expect(toPublicJwk({ ...EC_JWK, y: undefined }, VERSION, 'ES384')).toBeUndefined();
    expect(toPublicJwk({ kty: 'oct', k: bytes('secret') }, VERSION, 'RS256')).toBeUndefined();
  });
});

describe('toKeyVersion', () => {
  it('maps attributes to Unix seconds (rounded down), keeps the tags, and is enabled unless Key Vault says otherwise', () => {
    const version = toKeyVersion(properties({ notBefore: new Date(1_800_000_100_999), expiresOn: new Date(1_800_090_000_000), tags: { origin: 'rotation', alg: 'RS256' } }), RSA_JWK, 'RS256');
    expect(version).toEqual({
      kid: VERSION,
      alg: 'RS256',
      created: 1_800_000_000,
      notBefore: 1_800_000_100,
      expires: 1_800_090_000,
      enabled: true,
      publicJwk: expect.objectContaining({ kid: VERSION, kty: 'RSA' }),
      tags: { origin: 'rotation', alg: 'RS256' },
    });
    expect(toKeyVersion(properties({ enabled: false }), RSA_JWK, 'RS256').enabled).toBe(false);
    expect(JSON.stringify(version)).not.toContain('https://');
  });

  it('leaves a version it could not read without a public key, and copies the tags (never shares them)', () => {
    const tags = { origin: 'startup' };
    const version = toKeyVersion(properties({ tags, createdOn: undefined }), undefined, 'ES256');
    expect([version.publicJwk, version.created, version.notBefore]).toEqual([undefined, 0, undefined]);
    expect(version.tags).toEqual(tags);
    expect(version.tags).not.toBe(tags);
  });
});

describe('toEncryptionKeyVersion', () => {
  it('is always RSA-OAEP-256 with a public JWK for encryption, whatever the tags say', () => {
    const version = toEncryptionKeyVersion(properties({ tags: { alg: 'RS256' } }), RSA_JWK);
    expect(version.alg).toBe('RSA-OAEP-256');
    expect(version.publicJwk).toEqual({ kty: 'RSA', kid: VERSION, alg: 'RSA-OAEP-256', use: 'enc', n: Buffer.from('modulus').toString('base64url'), e: 'AQAB' });
  });

  it('gives a version that is not an RSA key no public key, so it is never used', () => {
    expect(toEncryptionKeyVersion(properties(), EC_JWK).publicJwk).toBeUndefined();
    expect(toEncryptionKeyVersion(properties(), { ...RSA_JWK, n: undefined }).publicJwk).toBeUndefined();
    expect(toEncryptionKeyVersion(properties(), undefined).publicJwk).toBeUndefined();
  });
});
