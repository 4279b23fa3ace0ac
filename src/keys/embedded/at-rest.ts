import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KeyStoreError } from '../key-store';

/** AES-256-GCM ciphertext as stored on disk (all base64). */
export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

const STORE_FILE = 'store.json';
const SECRET_FILE = '.secret';
const VERIFIER_TEXT = 'kv-jwt embedded key store';
const MIN_PASSPHRASE_LENGTH = 16;

interface StoreMetadata {
  format: 1;
  /** Salt for deriving the key from LOCAL_KEYSTORE_SECRET. */
  salt: string;
  /** A known text sealed with the key: a wrong secret is detected before any key is touched. */
  verifier: Sealed;
}

export function seal(key: Buffer, plaintext: Buffer, associatedData: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Throws KeyStoreError('corrupt') when the key is wrong or the ciphertext was altered. */
export function unseal(key: Buffer, sealed: Sealed, associatedData: string, what: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch (error: unknown) {
    throw new KeyStoreError('corrupt', `Could not decrypt ${what}: LOCAL_KEYSTORE_SECRET is not the one the keys were stored with, or the file was altered.`, { cause: error });
  }
}

/** Writes a file atomically (temporary file + rename) with owner-only permissions. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Creates a file only if it does not exist yet (O_EXCL), so two processes never both initialise. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error: unknown) {
    throw new KeyStoreError('corrupt', `${what} (${path}) is not readable JSON; restore it from a backup rather than deleting it.`, { cause: error });
  }
}

function generatedSecret(dir: string, createIfMissing: boolean): Buffer {
  const path = join(dir, SECRET_FILE);
  if (createIfMissing) createExclusive(path, randomBytes(32).toString('base64'));
  else if (!existsSync(path)) {
    throw new KeyStoreError('corrupt', `${path} is missing: the keys in ${dir} were sealed with it (or set LOCAL_KEYSTORE_SECRET to the passphrase they were sealed with).`);
  }
  const secret = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (secret.length !== 32) throw new KeyStoreError('corrupt', `${path} does not hold a 32-byte key.`);
  return secret;
}

/**
 * Opens (or initialises) the store folder and returns the 32-byte key that seals private keys:
 * derived with scrypt from LOCAL_KEYSTORE_SECRET, or generated once into `.secret` (0600).
 * A wrong secret is a clear error, never a reason to make new keys.
 */
export function openAtRestKey(dir: string, passphrase: string | undefined): Buffer {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (passphrase !== undefined && passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new KeyStoreError('corrupt', `LOCAL_KEYSTORE_SECRET must be at least ${MIN_PASSPHRASE_LENGTH} characters.`);
  }
  const metadataPath = join(dir, STORE_FILE);
  if (!existsSync(metadataPath)) {
    const salt = randomBytes(16);
    const key = passphrase === undefined ? generatedSecret(dir, true) : scryptSync(passphrase, salt, 32);
    const metadata: StoreMetadata = { format: 1, salt: salt.toString('base64'), verifier: seal(key, Buffer.from(VERIFIER_TEXT), STORE_FILE) };
    createExclusive(metadataPath, JSON.stringify(metadata, null, 2));
  }
  const metadata = readJson<StoreMetadata>(metadataPath, 'The key store metadata');
  if (metadata.format !== 1 || typeof metadata.salt !== 'string' || typeof metadata.verifier !== 'object') {
    throw new KeyStoreError('corrupt', `${metadataPath} is not a key store metadata file.`);
  }
  const key = passphrase === undefined ? generatedSecret(dir, false) : scryptSync(passphrase, Buffer.from(metadata.salt, 'base64'), 32);
  unseal(key, metadata.verifier, STORE_FILE, `the key store in ${dir}`);
  return key;
}

/**
 * A 32-byte secret of the store's own (e.g. the key of audit hashes): generated once from the
 * CSPRNG, sealed like the keys, shared by every process on the folder (O_EXCL: the first one wins).
 */
export function sealedSecret(dir: string, sealingKey: Buffer, name: string): Buffer {
  const path = join(dir, `${name}.json`);
  createExclusive(path, JSON.stringify(seal(sealingKey, randomBytes(32), name)));
  return unseal(sealingKey, readJson<Sealed>(path, `The ${name} secret`), name, `the ${name} secret in ${dir}`);
}

export { readJson };
