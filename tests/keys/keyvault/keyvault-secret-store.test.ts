/**
 * HS* on Key Vault (keyvault-secret-store.ts): each HMAC key version is a secret version made here
 * from the CSPRNG, marked with its content type and alg tag; versions it did not make are ignored;
 * a secret shorter than the hash is refused; failures name the Secrets roles. Real SDK, the double.
 */
import { isKeyStoreError } from '../../../src/keys/key-store';
import { createVaultCredential } from '../../../src/keys/keyvault/credential';
import { HMAC_CONTENT_TYPE, KeyVaultSecretStore } from '../../../src/keys/keyvault/keyvault-secret-store';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';
import { failure } from '../key-store-contract';
import { describeSecretStoreContract, SECRET_CONTRACT_NOW as NOW } from '../secret-store-contract';

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

  describeSecretStoreContract('Key Vault secret store', (alg) => Promise.resolve({ store: store(alg), cleanup: () => Promise.resolve() }));

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

  it('lists only the versions this service made (its content type and an HMAC alg tag), with their attributes in seconds', async () => {
    const name = uniqueKeyName('mixed');
    const secrets = store('HS512', name);
    const ours = await secrets.createVersion({ notBefore: NOW, expires: NOW + 3600, tags: { origin: 'rotation' } });
    const accessToken = await createVaultCredential(doubleConfig(vault, name)).getToken('https://vault.azure.net/.default');
    const put = (body: Record<string, unknown>) =>
      fetch(`${vault.vaultUrl}/secrets/${name}?api-version=7.5`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken?.token ?? ''}` }, body: JSON.stringify(body) });
    const value = Buffer.alloc(64, 7).toString('base64url');
    expect((await put({ value })).status).toBe(200); // no content type
    expect((await put({ value, contentType: 'text/plain', tags: { alg: 'HS512' } })).status).toBe(200);
    expect((await put({ value, contentType: `${HMAC_CONTENT_TYPE};alg=HS512` })).status).toBe(200); // no alg tag
    expect((await put({ value, contentType: `${HMAC_CONTENT_TYPE};alg=RS256`, tags: { alg: 'RS256' } })).status).toBe(200); // not an HMAC alg
    const listed = await secrets.listVersions();
    expect(listed).toEqual([ours]);
    expect(ours).toMatchObject({ alg: 'HS512', notBefore: NOW, expires: NOW + 3600, enabled: true, tags: { origin: 'rotation', alg: 'HS512' } });
  });

  it("answers a disabled version's secret with 'disabled' and names the Secrets User role when reading is forbidden", async () => {
    const secrets = store('HS256');
    const version = await secrets.createVersion({ notBefore: NOW });
    vault.faults.forbid('get');
    try {
      const error: unknown = await secrets.getSecret(version.kid).catch((e: unknown) => e);
      expect(isKeyStoreError(error) && [error.failure, error.message]).toEqual(['forbidden', expect.stringContaining('Key Vault Secrets User')]);
    } finally {
      vault.faults.clear();
    }
    await secrets.disableVersion(version.kid);
    expect(await failure(secrets.getSecret(version.kid))).toBe('disabled');
  });
});
