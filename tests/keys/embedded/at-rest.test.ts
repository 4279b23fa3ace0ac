/**
 * Keys at rest in the embedded store (at-rest.ts): AES-256-GCM bound to what it seals, atomic
 * owner-only files, a sealing key from LOCAL_KEYSTORE_SECRET (scrypt) or a generated `.secret`, and
 * a wrong or missing secret that stops with a clear error instead of making new keys.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAtRestKey, seal, sealedSecret, unseal, writeFileAtomic } from '../../../src/keys/embedded/at-rest';
import { isKeyStoreError } from '../../../src/keys/key-store';

const PASSPHRASE = 'a long enough passphrase';
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-at-rest-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The failure a KeyStoreError carries, or what else was thrown. */
function failureOf(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    return isKeyStoreError(error) ? `${error.failure}: ${error.message}` : String(error);
  }
  return 'none';
}

describe('seal / unseal', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh 96-bit IV and a 128-bit tag each time', () => {
    const first = seal(key, Buffer.from('private key'), 'versions/abc');
    const second = seal(key, Buffer.from('private key'), 'versions/abc');
    expect(unseal(key, first, 'versions/abc', 'version abc').toString()).toBe('private key');
    expect(Buffer.from(first.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(first.tag, 'base64')).toHaveLength(16);
    expect(first.iv).not.toBe(second.iv);
    expect(first.data).not.toBe(second.data);
  });

  it('refuses, as corrupt, another key, altered data, another tag, or the sealed text of another file (the associated data)', () => {
    const sealed = seal(key, Buffer.from('private key'), 'versions/abc');
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] ^= 1;
    expect(failureOf(() => unseal(randomBytes(32), sealed, 'versions/abc', 'version abc'))).toMatch(/^corrupt: Could not decrypt version abc/);
    expect(failureOf(() => unseal(key, { ...sealed, data: flipped.toString('base64') }, 'versions/abc', 'x'))).toMatch(/^corrupt/);
    expect(failureOf(() => unseal(key, { ...sealed, tag: randomBytes(16).toString('base64') }, 'versions/abc', 'x'))).toMatch(/^corrupt/);
    expect(failureOf(() => unseal(key, sealed, 'versions/other', 'x'))).toMatch(/^corrupt/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole, owner-only, and leaves no temporary file behind', () => {
    const dir = freshDir();
    const path = join(dir, 'file.json');
    writeFileSync(path, 'old', { mode: 0o644 });
    writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['file.json']);
  });
});

describe('openAtRestKey', () => {
  it('generates the sealing key once into an owner-only .secret in an owner-only folder, and opens it again', () => {
    const dir = join(freshDir(), 'store');
    const key = openAtRestKey(dir, undefined);
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, '.secret')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(openAtRestKey(dir, undefined).equals(key)).toBe(true);
    expect(readFileSync(join(dir, 'store.json'), 'utf8')).not.toContain(key.toString('base64'));
  });

  it('derives the key from LOCAL_KEYSTORE_SECRET with the store salt: the same passphrase opens it, another is refused', () => {
    const dir = freshDir();
    const key = openAtRestKey(dir, PASSPHRASE);
    expect(openAtRestKey(dir, PASSPHRASE).equals(key)).toBe(true);
    expect(openAtRestKey(freshDir(), PASSPHRASE).equals(key)).toBe(false); // another salt
    expect(failureOf(() => openAtRestKey(dir, 'another long passphrase'))).toMatch(/^corrupt: .*LOCAL_KEYSTORE_SECRET is not the one/);
    expect(readdirSync(dir)).toEqual(['store.json']);
  });

  it('refuses a passphrase shorter than 16 characters before touching the folder contents', () => {
    const dir = freshDir();
    expect(failureOf(() => openAtRestKey(dir, 'fifteen chars!!'))).toBe('corrupt: LOCAL_KEYSTORE_SECRET must be at least 16 characters.');
    expect(readdirSync(dir)).toEqual([]);
    expect(openAtRestKey(dir, 'sixteen chars!!!')).toHaveLength(32);
  });

  it('stops when the generated .secret is missing or is not a 32-byte key, never making a new one', () => {
    const dir = freshDir();
    openAtRestKey(dir, undefined);
    const secret = readFileSync(join(dir, '.secret'), 'utf8');
    rmSync(join(dir, '.secret'));
    expect(failureOf(() => openAtRestKey(dir, undefined))).toMatch(/^corrupt: .*\.secret is missing/);
    expect(readdirSync(dir)).toEqual(['store.json']);
    writeFileSync(join(dir, '.secret'), randomBytes(16).toString('base64'));
    expect(failureOf(() => openAtRestKey(dir, undefined))).toMatch(/does not hold a 32-byte key/);
    writeFileSync(join(dir, '.secret'), secret);
    expect(openAtRestKey(dir, undefined)).toHaveLength(32);
  });

  it('stops on a metadata file that is not JSON or not its format, asking for a backup rather than deletion', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'store.json'), '{ not json');
    expect(failureOf(() => openAtRestKey(dir, PASSPHRASE))).toMatch(/^corrupt: The key store metadata .* is not readable JSON; restore it from a backup/);
    writeFileSync(join(dir, 'store.json'), JSON.stringify({ format: 2, salt: 'AAAA', verifier: {} }));
    expect(failureOf(() => openAtRestKey(dir, PASSPHRASE))).toMatch(/is not a key store metadata file/);
  });
});

describe('sealedSecret', () => {
  it('generates a 32-byte secret once, sealed on disk, the same for every opener of the folder', () => {
    const dir = freshDir();
    const key = openAtRestKey(dir, undefined);
    const first = sealedSecret(dir, key, 'audit-key');
    expect(first).toHaveLength(32);
    expect(sealedSecret(dir, key, 'audit-key').equals(first)).toBe(true);
    expect(sealedSecret(dir, key, 'other').equals(first)).toBe(false);
    expect(readFileSync(join(dir, 'audit-key.json'), 'utf8')).not.toContain(first.toString('base64'));
    expect(failureOf(() => sealedSecret(dir, randomBytes(32), 'audit-key'))).toMatch(/^corrupt: Could not decrypt the audit-key secret/);
  });
});
