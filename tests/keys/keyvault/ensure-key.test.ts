/**
 * The start-up check (ensure-key.ts): the key must exist in the vault; a missing one is created
 * (first version, valid at once, tagged origin=startup) only with KEY_VAULT_CREATE_KEY=true, and
 * otherwise start-up stops naming the setting and the exact az command for that key.
 */
import { systemClock } from '../../../src/clock';
import { ConfigError } from '../../../src/errors';
import { createKeyVaultEncryptionKeyStore, openKeyVaultKeyStore } from '../../../src/keys/keyvault/create-keyvault-key-store';
import { ensureKeyExists } from '../../../src/keys/keyvault/ensure-key';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, FAST_RETRY, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';

let vault: KeyVaultDouble;
beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
});
afterAll(async () => vault?.stop());

const refusalOf = (pending: Promise<unknown>): Promise<unknown> => pending.then(() => undefined, (error: unknown) => error);

describe('ensureKeyExists', () => {
  it('refuses to start with a missing key unless KEY_VAULT_CREATE_KEY=true, saying what to do', async () => {
    const name = uniqueKeyName('missing');
    useDoubleManagedIdentity(vault);
    const before = vault.counters.get('create');
    const refusal = await openKeyVaultKeyStore(doubleConfig(vault, name), systemClock, { retry: FAST_RETRY }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toMatch(/does not exist.*az keyvault key create.*KEY_VAULT_CREATE_KEY=true/s);
    expect(vault.counters.get('create')).toBe(before);

    const created = await openKeyVaultKeyStore(doubleConfig(vault, name, { KEY_VAULT_CREATE_KEY: 'true' }), systemClock, { retry: FAST_RETRY });
    const versions = await created.listVersions();
    expect(versions).toEqual([expect.objectContaining({ enabled: true, alg: 'RS256' })]);
    await openKeyVaultKeyStore(doubleConfig(vault, name, { KEY_VAULT_CREATE_KEY: 'true' }), systemClock, { retry: FAST_RETRY });
    expect(vault.counters.get('create')).toBe(before + 1);
  });

  it('leaves an existing key alone: no create call, created false', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    await store.createVersion({ notBefore: vault.nowSeconds() });
    const before = vault.counters.get('create');
    await expect(ensureKeyExists(store, { createIfMissing: true, nowSeconds: vault.nowSeconds(), keySize: 2048 })).resolves.toEqual({ created: false });
    expect(vault.counters.get('create')).toBe(before);
  });

  it('creates the first version valid from now, tagged origin=startup', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    const now = vault.nowSeconds();
    await expect(ensureKeyExists(store, { createIfMissing: true, nowSeconds: now, keySize: 2048 })).resolves.toEqual({ created: true });
    expect(await store.listVersions()).toEqual([expect.objectContaining({ enabled: true, notBefore: now, tags: expect.objectContaining({ origin: 'startup' }) })]);
  });

  it('names JWT_ENCRYPTION_KEY_NAME and the wrapKey/unwrapKey command for a missing encryption key, with its size', async () => {
    useDoubleManagedIdentity(vault);
    const name = uniqueKeyName('missing-enc');
    const store = createKeyVaultEncryptionKeyStore(doubleConfig(vault, 'signing-elsewhere', { JWT_ENCRYPTION_KEY_NAME: name }), systemClock, { retry: FAST_RETRY });
    const refusal = await refusalOf(ensureKeyExists(store, { createIfMissing: false, nowSeconds: vault.nowSeconds(), keySize: 3072 }));
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).setting).toBe('JWT_ENCRYPTION_KEY_NAME');
    expect((refusal as Error).message).toContain(`the encryption key '${name}' does not exist`);
    expect((refusal as Error).message).toContain(`--name ${name} --kty RSA --size 3072 --ops wrapKey unwrapKey`);
  });

  it('names a signing key JWT_KEY_NAME with sign/verify, or the setting it is given', async () => {
    const store = storeOnDouble(vault, uniqueKeyName('missing-sig'));
    const refusal = await refusalOf(ensureKeyExists(store, { createIfMissing: false, nowSeconds: vault.nowSeconds(), keySize: 2048 }));
    expect([(refusal as ConfigError).setting, (refusal as Error).message]).toEqual(['JWT_KEY_NAME', expect.stringContaining('--size 2048 --ops sign verify')]);
    const named = await refusalOf(ensureKeyExists(store, { createIfMissing: false, nowSeconds: vault.nowSeconds(), keySize: 2048, setting: 'AUDIT_KEY_NAME' }));
    expect((named as ConfigError).setting).toBe('AUDIT_KEY_NAME');
  });

  it('lets any other failure through instead of creating a key (a 403 on get is no "missing key")', async () => {
    const store = storeOnDouble(vault, uniqueKeyName());
    vault.faults.forbid('get');
    const before = vault.counters.get('create');
    try {
      const refusal = await refusalOf(ensureKeyExists(store, { createIfMissing: true, nowSeconds: vault.nowSeconds(), keySize: 2048 }));
      expect(refusal).toMatchObject({ name: 'KeyStoreError', failure: 'forbidden' });
    } finally {
      vault.faults.clear();
    }
    expect(vault.counters.get('create')).toBe(before);
  });
});
