import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/clock';
import { EmbeddedKeyStore } from '../../../src/keys/embedded/embedded-key-store';
import { isKeyStoreError } from '../../../src/keys/key-store';
import { CONTRACT_START_SECONDS, describeKeyStoreContract } from '../key-store-contract';

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
