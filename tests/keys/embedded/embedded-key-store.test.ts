import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KEY_WRAP_ALGORITHM } from '../../../src/algorithms';
import { ManualClock, systemClock, type Clock } from '../../../src/clock';
import { EmbeddedKeyStore } from '../../../src/keys/embedded/embedded-key-store';
import { isKeyStoreError } from '../../../src/keys/key-store';
import { describeEncryptionContract } from '../encryption-store-contract';
import { CONTRACT_START_SECONDS, describeKeyStoreContract, failure } from '../key-store-contract';
import { describeSecretStoreContract, SECRET_CONTRACT_NOW as NOW } from '../secret-store-contract';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-store-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describeKeyStoreContract(
  'embedded store',
  (clock, alg) => {
    const store = new EmbeddedKeyStore({ dir: freshDir(), alg, clock });
    return Promise.resolve({ store, cleanup: () => Promise.resolve() });
  },
  ['RS256', 'PS384', 'ES256', 'ES384', 'ES512'],
);

describe('embedded store at rest', () => {
  const clock = new ManualClock(CONTRACT_START_SECONDS * 1000);

  it('never writes a private key in the clear and keeps files owner-only', async () => {
    const dir = freshDir();
    const store = new EmbeddedKeyStore({ dir, alg: 'RS256', clock });
    await store.createVersion({ notBefore: CONTRACT_START_SECONDS });
    expect(statSync(join(dir, '.secret')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    for (const name of readdirSync(join(dir, 'versions'))) {
      const text = readFileSync(join(dir, 'versions', name), 'utf8');
      expect(statSync(join(dir, 'versions', name)).mode & 0o777).toBe(0o600);
      expect(text).not.toMatch(/PRIVATE KEY|"d":/);
    }
  });

  it('keeps keys across restarts and processes sharing the folder', async () => {
    const dir = freshDir();
    const first = new EmbeddedKeyStore({ dir, alg: 'ES256', clock, secret: 'a long enough passphrase' });
    const version = await first.createVersion({ notBefore: CONTRACT_START_SECONDS });
    const second = new EmbeddedKeyStore({ dir, alg: 'ES256', clock, secret: 'a long enough passphrase' });
    expect((await second.listVersions()).map((v) => v.kid)).toEqual([version.kid]);
    await expect(second.sign(version.kid, 'ES256', Buffer.from('header.payload'))).resolves.toHaveLength(64);
    const third = await second.createVersion({ notBefore: CONTRACT_START_SECONDS });
    expect((await first.listVersions()).map((v) => v.kid).sort()).toEqual([version.kid, third.kid].sort());
  });

  it('sees at once a version another process disabled, though it keeps parsed versions between signatures', async () => {
    const dir = freshDir();
    const signer = new EmbeddedKeyStore({ dir, alg: 'ES256', clock, secret: 'a long enough passphrase' });
    const other = new EmbeddedKeyStore({ dir, alg: 'ES256', clock, secret: 'a long enough passphrase' });
    const version = await signer.createVersion({ notBefore: CONTRACT_START_SECONDS });
    await expect(signer.sign(version.kid, 'ES256', Buffer.from('header.payload'))).resolves.toHaveLength(64);
    await other.disableVersion(version.kid);
    const refusal: unknown = await signer.sign(version.kid, 'ES256', Buffer.from('header.payload')).catch((e: unknown) => e);
    expect(isKeyStoreError(refusal) && refusal.failure).toBe('disabled');
  });

  it('stops with a clear error on a wrong secret or a missing generated secret, never making new keys', async () => {
    const dir = freshDir();
    await new EmbeddedKeyStore({ dir, alg: 'RS256', clock, secret: 'the right passphrase!' }).createVersion({ notBefore: CONTRACT_START_SECONDS });
    expect(() => new EmbeddedKeyStore({ dir, alg: 'RS256', clock, secret: 'the wrong passphrase!' })).toThrow(/LOCAL_KEYSTORE_SECRET/);
    expect(() => new EmbeddedKeyStore({ dir, alg: 'RS256', clock })).toThrow(/\.secret is missing/);
    expect(() => new EmbeddedKeyStore({ dir, alg: 'RS256', clock, secret: 'short' })).toThrow(/at least 16/);
    expect(readdirSync(join(dir, 'versions'))).toHaveLength(1);
  });

  it('detects a tampered or corrupted version file', async () => {
    const dir = freshDir();
    const store = new EmbeddedKeyStore({ dir, alg: 'ES256', clock });
    const version = await store.createVersion({ notBefore: CONTRACT_START_SECONDS });
    const path = join(dir, 'versions', `${version.kid}.json`);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { privateKey: { data: string } };
    const data = Buffer.from(stored.privateKey.data, 'base64');
    data[5] ^= 0xff;
    stored.privateKey.data = data.toString('base64');
    writeFileSync(path, JSON.stringify(stored));
    const reopened = new EmbeddedKeyStore({ dir, alg: 'ES256', clock });
    const error: unknown = await reopened.sign(version.kid, 'ES256', Buffer.from('header.payload')).catch((e: unknown) => e);
    expect(isKeyStoreError(error) && error.failure).toBe('corrupt');
    writeFileSync(path, '{ not json');
    await expect(reopened.listVersions()).rejects.toThrow(/not readable JSON/);
  });

  it('refuses a kid that is not one of its own ids (no paths)', async () => {
    const store = new EmbeddedKeyStore({ dir: freshDir(), alg: 'RS256', clock });
    const error: unknown = await store.sign('../store', 'RS256', Buffer.from('header.payload')).catch((e: unknown) => e);
    expect(isKeyStoreError(error) && error.failure).toBe('not_found');
  });
});

describeSecretStoreContract('embedded secret store', (alg) => {
  const dir = freshDir();
  return Promise.resolve({ store: new EmbeddedKeyStore({ dir, alg, clock: new ManualClock(NOW * 1000) }), cleanup: () => Promise.resolve() });
});

it('embedded: HMAC secrets are encrypted at rest', async () => {
  const dir = freshDir();
  const store = new EmbeddedKeyStore({ dir, alg: 'HS256', clock: systemClock });
  const version = await store.createVersion({ notBefore: NOW });
  const secret = (await store.getSecret(version.kid)).toString('base64');
  for (const name of readdirSync(join(dir, 'versions'))) expect(readFileSync(join(dir, 'versions', name), 'utf8')).not.toContain(secret);
});

describe('embedded encryption key', () => {
  const open = (dir: string, clock: Clock): EmbeddedKeyStore<'RSA-OAEP-256'> => new EmbeddedKeyStore({ dir, alg: KEY_WRAP_ALGORITHM, clock });

  describeEncryptionContract('embedded store', (clock) => {
    const dir = freshDir();
    return Promise.resolve({ store: open(dir, clock), cleanup: () => Promise.resolve() });
  }, 1_800_000_000);

  it('keeps the encryption key apart from the signing key in one folder: neither store reads the other\'s versions', async () => {
    const dir = freshDir();
    const clock = new ManualClock(1_800_000_000_000);
    const signing = new EmbeddedKeyStore({ dir, alg: 'RS256', clock });
    const encryption = open(dir, clock);
    const sig = await signing.createVersion({ notBefore: 1_800_000_000 });
    const enc = await encryption.createVersion({ notBefore: 1_800_000_000 });
    expect((await signing.listVersions()).map((v) => v.kid)).toEqual([sig.kid]);
    expect((await encryption.listVersions()).map((v) => v.kid)).toEqual([enc.kid]);
    expect(await failure(signing.sign(enc.kid, 'RS256', Buffer.from('x')))).toBe('not_found');
    expect(await failure(encryption.sign(enc.kid, 'RS256', Buffer.from('x')))).toBe('bad_parameter');
    expect(await failure(encryption.unwrapKey(sig.kid, randomBytes(256)))).toBe('not_found');
  });
});
