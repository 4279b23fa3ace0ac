/**
 * Which identity talks to Key Vault (credential.ts): the managed identity when the platform provides
 * one — user-assigned when AZURE_CLIENT_ID names it — else DefaultAzureCredential (az login locally),
 * which is also told the user-assigned client id. Real @azure/identity classes against the double.
 */
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { loadConfig } from '../../../src/config/settings';
import { createVaultCredential } from '../../../src/keys/keyvault/credential';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
});
afterAll(async () => vault.stop());

describe('createVaultCredential', () => {
  it('chooses managed identity when the platform provides one, else DefaultAzureCredential', () => {
    const credentialOf = (env: Record<string, string>): string => loadConfig({ AUTH_MODE: 'none', ...env }).keyVault.credential;
    expect(credentialOf({ IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token' })).toBe('managed-identity');
    expect(credentialOf({ MSI_ENDPOINT: 'http://localhost:8081/msi/token' })).toBe('managed-identity');
    expect(credentialOf({})).toBe('default');
  });

  it('builds a ManagedIdentityCredential for the managed identity and a DefaultAzureCredential otherwise', () => {
    const local = loadConfig({ AUTH_MODE: 'none' });
    expect(local.keyVault.credential).toBe('default');
    expect(createVaultCredential(local)).toBeInstanceOf(DefaultAzureCredential);
    expect(createVaultCredential(doubleConfig(vault, uniqueKeyName()))).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('asks for a user-assigned identity when AZURE_CLIENT_ID is set', async () => {
    const store = storeOnDouble(vault, uniqueKeyName(), { env: { AZURE_CLIENT_ID: '00000000-0000-0000-0000-0000000000aa' } });
    await store.createVersion({ notBefore: now() });
    expect(vault.tokens.lastRequestedClientId).toBe('00000000-0000-0000-0000-0000000000aa');
  });

  it('asks the managed identity for the system-assigned identity when no client id is set', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    vault.tokens.lastRequestedClientId = 'not asked yet';
    await store.createVersion({ notBefore: now() });
    expect(vault.tokens.lastRequestedClientId).toBeUndefined();
  });

  it('tells DefaultAzureCredential the user-assigned client id too (its managed identity leg asks for it)', async () => {
    useDoubleManagedIdentity(vault);
    const clientId = '00000000-0000-0000-0000-0000000000bb';
    // No IDENTITY_ENDPOINT in the settings: config chooses DefaultAzureCredential; its managed identity leg finds the endpoint in the process.
    const config = loadConfig({ AUTH_MODE: 'none', AZURE_CLIENT_ID: clientId });
    expect(config.keyVault.credential).toBe('default');
    const token = await createVaultCredential(config).getToken('https://vault.azure.net/.default');
    expect(token?.token).toEqual(expect.any(String));
    expect(vault.tokens.lastRequestedClientId).toBe(clientId);
  });
});
