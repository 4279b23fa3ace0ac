import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, systemClock } from '../../src/clock';
import { EmbeddedKeyStore } from '../../src/keys/embedded/embedded-key-store';
import { isKeyStoreError, type KeyStore } from '../../src/keys/key-store';
import { failure } from './key-store-contract';
import { createVaultCredential } from '../../src/keys/keyvault/credential';
import { HMAC_CONTENT_TYPE, KeyVaultSecretStore } from '../../src/keys/keyvault/keyvault-secret-store';
import { startKeyVaultDouble, type KeyVaultDouble } from '../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, uniqueKeyName, useDoubleManagedIdentity } from '../support/keyvault-double/adapter-fixture';

const NOW = Math.floor(Date.now() / 1000);

/** What every HMAC secret store shares (the SecretStore role on the KeyStore port). */
function secretContract(label: string, make: (alg: 'HS256' | 'HS384' | 'HS512') => Promise<{ store: KeyStore; cleanup(): Promise<void> }>): void {
  describe.each([['HS256', 32], ['HS384', 48], ['HS512', 64]] as const)(`${label} %s`, (alg, length) => {
    it('generates a secret as long as the hash, never publishes it, and disables for good', async () => {
      const { store, cleanup } = await make(alg);
      try {
        expect(store.isSupported(alg)).toBe(true);
        const version = await store.createVersion({ notBefore: NOW - 10, tags: { origin: 'test' } });
        expect(version).toMatchObject({ alg, enabled: true });
        expect(version.publicJwk).toBeUndefined();
        expect(version.kid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
        const secret = await store.getSecret?.(version.kid);
        expect(secret?.length).toBe(length);
        const another = await store.createVersion({ notBefore: NOW });
        expect((await store.getSecret?.(another.kid))?.equals(secret as Buffer)).toBe(false);
        expect(await failure(store.sign(version.kid, alg, Buffer.from('header.payload')))).toBe('bad_parameter');
        await store.disableVersion(version.kid);
        expect((await store.listVersions()).find((v) => v.kid === version.kid)?.enabled).toBe(false);
      } finally {
        await cleanup();
      }
    });
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

secretContract('embedded secret store', (alg) => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-hs-'));
  dirs.push(dir);
  return Promise.resolve({ store: new EmbeddedKeyStore({ dir, alg, clock: new ManualClock(NOW * 1000) }), cleanup: () => Promise.resolve() });
});

it('embedded: HMAC secrets are encrypted at rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-hs-'));
  dirs.push(dir);
  const store = new EmbeddedKeyStore({ dir, alg: 'HS256', clock: systemClock });
  const version = await store.createVersion({ notBefore: NOW });
  const secret = (await store.getSecret(version.kid)).toString('base64');
  for (const name of readdirSync(join(dir, 'versions'))) expect(readFileSync(join(dir, 'versions', name), 'utf8')).not.toContain(secret);
});

describe('Key Vault secrets (through the double)', () => {
  let vault: KeyVaultDouble;
  beforeAll(async () => {
    assertTestCaTrusted();
    vault = await startKeyVaultDouble({ pageSize: 2 });
    useDoubleManagedIdentity(vault);
  });
  afterAll(async () => vault?.stop());

  function store(alg: 'HS256' | 'HS384' | 'HS512', name = uniqueKeyName('hmac')): KeyVaultSecretStore {
    const config = doubleConfig(vault, name, { JWT_ALG: alg });
    return new KeyVaultSecretStore({ vaultUrl: vault.vaultUrl, secretName: name, alg, credential: createVaultCredential(config), disableChallengeResourceVerification: true, retry: FAST_RETRY });
  }

  secretContract('Key Vault secret store', (alg) => Promise.resolve({ store: store(alg), cleanup: () => Promise.resolve() }));

  it('pages through versions and marks the content type', async () => {
    const secrets = store('HS256');
    const made = [];
    for (let i = 0; i < 5; i += 1) made.push((await secrets.createVersion({ notBefore: NOW })).kid);
    expect((await secrets.listVersions()).map((v) => v.kid).sort()).toEqual([...made].sort());
  });

  it('refuses a secret shorter than the hash (an imported one)', async () => {
    const name = uniqueKeyName('short');
    const secrets = store('HS256', name);
    // Imported by someone else, straight through the REST API: 16 bytes for HS256.
    const accessToken = await createVaultCredential(doubleConfig(vault, name)).getToken('https://vault.azure.net/.default');
    const response = await fetch(`${vault.vaultUrl}/secrets/${name}?api-version=7.5`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken?.token ?? ''}` },
      body: JSON.stringify({ value: Buffer.alloc(16, 1).toString('base64url'), contentType: `${HMAC_CONTENT_TYPE};alg=HS256`, tags: { alg: 'HS256' } }),
    });
    expect(response.status).toBe(200);
    const [version] = await secrets.listVersions();
    expect(await failure(secrets.getSecret(version.kid))).toBe('bad_parameter');
  });

  it('names the Secrets Officer role when creating is forbidden', async () => {
    vault.faults.forbid('create');
    try {
      const error: unknown = await store('HS256').createVersion({ notBefore: NOW }).catch((e: unknown) => e);
      expect(isKeyStoreError(error) && error.failure).toBe('forbidden');
      expect((error as Error).message).toContain('Key Vault Secrets Officer');
    } finally {
      vault.faults.clear();
    }
  });
});
