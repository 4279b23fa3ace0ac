/**
 * Opening the HS* secret store at start-up (open-keyvault-secret-store.ts): a secret with versions
 * this service made is used as it is; a missing one is created only with KEY_VAULT_CREATE_KEY=true
 * (never imported from settings); any failure but "not found" stops start-up as it is.
 */
import { systemClock } from '../../../src/clock';
import { ConfigError } from '../../../src/errors';
import { isKeyStoreError } from '../../../src/keys/key-store';
import { openKeyVaultSecretStore } from '../../../src/keys/keyvault/open-keyvault-secret-store';
import type { VaultAttempt } from '../../../src/keys/keyvault/vault-transport';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
  useDoubleManagedIdentity(vault);
});
afterAll(async () => vault?.stop());
afterEach(() => vault.faults.clear());

const refusalOf = (pending: Promise<unknown>): Promise<unknown> => pending.then(() => undefined, (error: unknown) => error);

describe('openKeyVaultSecretStore', () => {
  it('refuses a missing secret without KEY_VAULT_CREATE_KEY=true, naming JWT_KEY_NAME and creating nothing', async () => {
    const name = uniqueKeyName('hmac');
    const before = vault.counters.get('create');
    const refusal = await refusalOf(openKeyVaultSecretStore(doubleConfig(vault, name, { JWT_ALG: 'HS256' }), systemClock));
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('JWT_KEY_NAME');
    expect((refusal as Error).message).toMatch(new RegExp(`'${name}' does not exist.*KEY_VAULT_CREATE_KEY=true.*never imported from settings`, 's'));
    expect(vault.counters.get('create')).toBe(before);
  });

  it('creates the first version with KEY_VAULT_CREATE_KEY=true, valid from now, and nothing more on the next start', async () => {
    const config = doubleConfig(vault, uniqueKeyName('hmac'), { JWT_ALG: 'HS384', KEY_VAULT_CREATE_KEY: 'true' });
    const attempts: VaultAttempt[] = [];
    const now = Math.floor(systemClock.nowMs() / 1000);
    const store = await openKeyVaultSecretStore(config, systemClock, (attempt) => attempts.push(attempt));
    const versions = await store.listVersions();
    expect(versions).toEqual([expect.objectContaining({ alg: 'HS384', enabled: true, tags: expect.objectContaining({ origin: 'startup' }) })]);
    expect(versions[0].notBefore).toBeGreaterThanOrEqual(now);
    expect(attempts.map((attempt) => attempt.operation)).toContain('create');
    const before = vault.counters.get('create');
    await openKeyVaultSecretStore(config, systemClock);
    expect(vault.counters.get('create')).toBe(before);
  });

  it("counts only versions this service made: a secret of the same name set by someone else is no HMAC key", async () => {
    const name = uniqueKeyName('foreign');
    const config = doubleConfig(vault, name, { JWT_ALG: 'HS256' });
    const token = await fetch(`${vault.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`, { headers: { 'X-IDENTITY-HEADER': vault.identityHeader } });
    const { access_token: accessToken } = (await token.json()) as { access_token: string };
    const put = await fetch(`${vault.vaultUrl}/secrets/${name}?api-version=7.5`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` }, body: JSON.stringify({ value: 'a connection string' }) });
    expect(put.status).toBe(200);
    const refusal = await refusalOf(openKeyVaultSecretStore(config, systemClock));
    expect((refusal as ConfigError).setting).toBe('JWT_KEY_NAME');
  });

  it('stops on any other failure as it is (a missing role is not a missing secret)', async () => {
    vault.faults.forbid('list');
    const before = vault.counters.get('create');
    const refusal = await refusalOf(openKeyVaultSecretStore(doubleConfig(vault, uniqueKeyName('hmac'), { JWT_ALG: 'HS256', KEY_VAULT_CREATE_KEY: 'true' }), systemClock));
    expect(isKeyStoreError(refusal) && [refusal.failure, refusal.message]).toEqual(['forbidden', expect.stringContaining('Key Vault Secrets User')]);
    expect(vault.counters.get('create')).toBe(before);
  });
});
