/**
 * Building the Key Vault key stores from the settings (create-keyvault-key-store.ts): which key,
 * algorithm, size and credential each store gets, what it refuses before any call, and the two
 * `open…` functions that make sure the key exists.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { systemClock } from '../../../src/clock';
import type { AppConfig } from '../../../src/config/settings';
import { ConfigError } from '../../../src/errors';
import { createKeyVaultEncryptionKeyStore, createKeyVaultKeyStore, openKeyVaultEncryptionKeyStore, openKeyVaultKeyStore } from '../../../src/keys/keyvault/create-keyvault-key-store';
import { createVaultCredential } from '../../../src/keys/keyvault/credential';
import type { VaultAttempt } from '../../../src/keys/keyvault/vault-transport';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
  useDoubleManagedIdentity(vault);
});
afterAll(async () => vault?.stop());

const thrown = (build: () => unknown): unknown => {
  try {
    build();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
};

/** The real credential, counting the tokens asked of it. */
function countingCredential(config: AppConfig): TokenCredential & { calls: number } {
  const inner = createVaultCredential(config);
  const counting = {
    calls: 0,
    getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      counting.calls += 1;
      return inner.getToken(scopes, options);
    },
  };
  return counting;
}

describe('createKeyVaultKeyStore / createKeyVaultEncryptionKeyStore', () => {
  it('refuses to build either store without KEY_VAULT_URL, naming the setting', () => {
    const config: AppConfig = { ...doubleConfig(vault, uniqueKeyName()), keyVaultUrl: undefined };
    for (const build of [() => createKeyVaultKeyStore(config, systemClock), () => createKeyVaultEncryptionKeyStore(config, systemClock)]) {
      const refusal = thrown(build);
      expect(refusal).toBeInstanceOf(ConfigError);
      expect((refusal as ConfigError).setting).toBe('KEY_VAULT_URL');
    }
  });

  it('refuses an HMAC JWT_ALG for the key store (HS* are secrets, not keys) before any call', () => {
    const before = vault.counters.snapshot();
    const refusal = thrown(() => createKeyVaultKeyStore(doubleConfig(vault, uniqueKeyName(), { JWT_ALG: 'HS256' }), systemClock));
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('JWT_ALG');
    expect(vault.counters.snapshot()).toEqual(before);
  });

  it('needs KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION for a vault whose host is not a Key Vault host, and says so before any call', () => {
    const before = vault.counters.get('list');
    let refusal: unknown;
    try {
      storeOnDouble(vault, uniqueKeyName(), { env: { KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'false' } });
    } catch (error: unknown) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('KEY_VAULT_URL');
    expect((refusal as Error).message).toContain('KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true');
    expect(vault.counters.get('list')).toBe(before);
  });

  it('gives the signing store JWT_KEY_NAME and JWT_ALG, the encryption store JWT_ENCRYPTION_KEY_NAME, RSA-OAEP-256 and JWT_KEY_SIZE', async () => {
    const name = uniqueKeyName();
    const config = doubleConfig(vault, name, { JWT_ALG: 'ES384', JWT_ENCRYPTION_KEY_NAME: `${name}-enc`, JWT_KEY_SIZE: '3072' });
    // A 3072-bit key takes the double a while to generate on a loaded machine: a patient deadline (create is not retried after one).
    const patient = { ...FAST_RETRY, attemptTimeoutMs: 30_000, totalBudgetMs: 30_000 };
    const signing = createKeyVaultKeyStore(config, systemClock, { retry: patient });
    const encryption = createKeyVaultEncryptionKeyStore(config, systemClock, { retry: patient });
    expect([signing.keyName, signing.use, encryption.keyName, encryption.use]).toEqual([name, 'sig', `${name}-enc`, 'enc']);
    const sig = await signing.createVersion({ notBefore: vault.nowSeconds() });
    const enc = await encryption.createVersion({ notBefore: vault.nowSeconds() });
    expect([sig.alg, sig.publicJwk?.crv, enc.alg]).toEqual(['ES384', 'P-384', 'RSA-OAEP-256']);
    expect(vault.state.find(`${name}-enc`, enc.kid)).toMatchObject({ keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'] });
  });

  it('uses the credential and the observer it is given, for both keys', async () => {
    const name = uniqueKeyName();
    const config = doubleConfig(vault, name);
    const credential = countingCredential(config);
    const attempts: VaultAttempt[] = [];
    const overrides = { retry: FAST_RETRY, credential, observe: (attempt: VaultAttempt) => attempts.push(attempt) };
    await createKeyVaultKeyStore(config, systemClock, overrides).createVersion({ notBefore: vault.nowSeconds() });
    await createKeyVaultEncryptionKeyStore(config, systemClock, overrides).createVersion({ notBefore: vault.nowSeconds() });
    expect(credential.calls).toBeGreaterThanOrEqual(2);
    expect(attempts.filter((attempt) => attempt.operation === 'create' && attempt.status === 200)).toHaveLength(2);
  });
});

describe('openKeyVaultKeyStore / openKeyVaultEncryptionKeyStore', () => {
  it('create the missing key only with KEY_VAULT_CREATE_KEY=true, of the configured kind and size', async () => {
    const name = uniqueKeyName();
    const refusal = await openKeyVaultEncryptionKeyStore(doubleConfig(vault, name), systemClock, { retry: FAST_RETRY }).then(() => undefined, (error: unknown) => error);
    expect((refusal as ConfigError).setting).toBe('JWT_ENCRYPTION_KEY_NAME');
    const config = doubleConfig(vault, name, { KEY_VAULT_CREATE_KEY: 'true', JWT_ALG: 'ES256' });
    const signing = await openKeyVaultKeyStore(config, systemClock, { retry: FAST_RETRY });
    const encryption = await openKeyVaultEncryptionKeyStore(config, systemClock, { retry: FAST_RETRY });
    expect((await signing.listVersions()).map((v) => [v.alg, v.tags.origin])).toEqual([['ES256', 'startup']]);
    expect((await encryption.listVersions()).map((v) => [v.alg, v.tags.origin])).toEqual([['RSA-OAEP-256', 'startup']]);
    expect(vault.state.latest(`${name}-enc`)).toMatchObject({ keySize: 2048, keyOps: ['wrapKey', 'unwrapKey'] });
  });
});
