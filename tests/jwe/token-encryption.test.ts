import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock';
import type { CallerPermissions } from '../../src/config/caller-policy';
import { isServiceError } from '../../src/errors';
import { AudienceKeys } from '../../src/jwe/audience-keys';
import { ContentKeyCache } from '../../src/jwe/content-key-cache';
import { createTokenEncryption, type TokenEncryption } from '../../src/jwe/token-encryption';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { EncryptionKeyRing } from '../../src/keys/encryption-ring';

/** Deciding, before a token is signed, whether and to whom it is encrypted (CALLER_POLICY "encrypt"). */
const NOW = 1_800_000_000;
const base: CallerPermissions = { operations: ['sign'], audiences: ['api://orders', 'api://partner'], verifyAudiences: [], claims: [] };
let dir: string;
let store: EmbeddedKeyStore<'RSA-OAEP-256'>;
let ring: EncryptionKeyRing;
let encryption: TokenEncryption;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'ok', (e: unknown) => e);
  return isServiceError(error) ? `${error.status} ${error.code}` : String(error);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-jwe-plan-'));
  const clock = new ManualClock(NOW * 1000);
  store = new EmbeddedKeyStore({ dir, alg: 'RSA-OAEP-256', clock });
  ring = new EncryptionKeyRing(store, clock, { alg: 'RSA-OAEP-256', retentionSeconds: 3600, refreshIntervalMs: 60_000, unknownKidCooldownMs: 60_000 });
  const cache = new ContentKeyCache(clock, { maxEntries: 10, maxAgeMs: 3_600_000 });
  encryption = createTokenEncryption({ ring, store, cache, clock, audienceKeys: new AudienceKeys(new Map(), clock), maxTokenBytes: 16_384, clockSkewSeconds: 60 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('planning encryption', () => {
  it('answers 503 no_active_key while no encryption key version is active yet', async () => {
    await store.createVersion({ notBefore: NOW + 3600 });
    await ring.refresh();
    expect(await codeOf(encryption.plan({ encrypt: true, claims: { aud: 'api://orders' } }, base))).toBe('503 no_active_key');
    await store.createVersion({ notBefore: NOW - 10 });
    await ring.refresh();
    expect(await encryption.plan({ encrypt: true, claims: { aud: 'api://orders' } }, base)).toMatchObject({ recipient: 'self' });
  });

  it('encrypts only when asked, unless the caller\'s policy requires it', async () => {
    expect(await encryption.plan({ encrypt: undefined, claims: { aud: 'api://orders' } }, base)).toBeUndefined();
    expect(await encryption.plan({ encrypt: false, claims: { aud: 'api://orders' } }, base)).toBeUndefined();
    const always: CallerPermissions = { ...base, encryptionRequiredFor: 'all' };
    for (const encrypt of [undefined, false]) expect(await codeOf(encryption.plan({ encrypt, claims: { aud: 'api://orders' } }, always))).toBe('403 encryption_required');
    expect(await encryption.plan({ encrypt: true, claims: { aud: 'api://orders' } }, always)).toMatchObject({ recipient: 'self' });
  });

  it('requires encryption for the listed audiences only, an array aud included', async () => {
    const forPartner: CallerPermissions = { ...base, encryptionRequiredFor: ['api://partner'] };
    expect(await codeOf(encryption.plan({ encrypt: undefined, claims: { aud: 'api://partner' } }, forPartner))).toBe('403 encryption_required');
    expect(await codeOf(encryption.plan({ encrypt: undefined, claims: { aud: ['api://orders', 'api://partner'] } }, forPartner))).toBe('403 encryption_required');
    expect(await encryption.plan({ encrypt: undefined, claims: { aud: 'api://orders' } }, forPartner)).toBeUndefined();
  });

  it('refuses an "encrypt" that is not a boolean, whatever the policy', async () => {
    for (const encrypt of ['true', 1, null, []]) expect(await codeOf(encryption.plan({ encrypt, claims: { aud: 'api://orders' } }, base))).toBe('400 invalid_request');
  });
});
