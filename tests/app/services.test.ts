import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyedSubjectHasher, silentLogger } from '../../src/audit';
import { createServices, type Services } from '../../src/app/services';
import { systemClock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { localConfig } from '../support/config';
import { StaticKeyStore } from '../support/token-factory';

/**
 * The audit key beside the two key stores: the signing key's store decides where the key of audit
 * subject hashes comes from (sealed in the embedded folder; derived in Key Vault — see
 * tests/audit.test.ts and tests/app/metrics-wiring.test.ts), whatever store holds the encryption key.
 */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-services-'));
  dirs.push(dir);
  return dir;
};
const opened: Services[] = [];
async function services(dir: string, overrides: Parameters<typeof createServices>[1] = {}): Promise<Services> {
  const built = await createServices(localConfig({ LOCAL_KEYSTORE_DIR: dir, AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING }), { logger: silentLogger, ...overrides });
  opened.push(built);
  return built;
}
afterAll(async () => {
  for (const built of opened) await built.close();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

describe('the audit key with the encryption store split', () => {
  it('embedded: the key sealed in the signing store\'s folder, the same for every instance on it, whichever store encrypts', async () => {
    const dir = tempDir();
    const folderKey = keyedSubjectHasher(new EmbeddedKeyStore({ dir, alg: 'RS256', clock: systemClock }).auditKey());
    const first = await services(dir);
    const second = await services(dir);
    // The encryption key kept elsewhere (its own folder and at-rest key) changes nothing.
    const elsewhere = await services(dir, { encryptionStore: new EmbeddedKeyStore({ dir: tempDir(), alg: 'RSA-OAEP-256', clock: systemClock }) });
    const other = await services(tempDir());
    expect(first.encryption.store).toBeInstanceOf(EmbeddedKeyStore);
    expect([first, second, elsewhere].map((s) => s.hashSubject('alice'))).toEqual([folderKey('alice'), folderKey('alice'), folderKey('alice')]);
    expect(other.hashSubject('alice')).not.toBe(folderKey('alice'));
  });

  it('a signing store of neither kind gets a random key for the life of the process, even with an embedded encryption store', async () => {
    const dir = tempDir();
    const folderKey = keyedSubjectHasher(new EmbeddedKeyStore({ dir, alg: 'RS256', clock: systemClock }).auditKey());
    const versions = await new EmbeddedKeyStore({ dir: tempDir(), alg: 'RS256', clock: systemClock }).createVersion({ notBefore: 0 });
    const [one, two] = [await services(dir, { store: new StaticKeyStore([versions]) }), await services(dir, { store: new StaticKeyStore([versions]) })];
    expect(one.encryption.store).toBeInstanceOf(EmbeddedKeyStore);
    expect(one.hashSubject('alice')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(one.hashSubject('alice')).not.toBe(two.hashSubject('alice'));
    expect(one.hashSubject('alice')).not.toBe(folderKey('alice'));
  });
});
