/**
 * The key of keyed audit hashes in Azure (audit-key.ts): SHA-256 of the deterministic RS256
 * signature of a fixed label by the audit key's oldest enabled version — the same 32 bytes on every
 * instance, computable only by an identity that may sign with that key, and stable when versions
 * are added. Real SDK against the double; the expected bytes are computed here with node:crypto.
 */
import { createHash, sign } from 'node:crypto';
import { systemClock } from '../../../src/clock';
import { deriveAuditKey } from '../../../src/keys/keyvault/audit-key';
import { startKeyVaultDouble, type KeyVaultDouble } from '../../support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, storeOnDouble, uniqueKeyName, useDoubleManagedIdentity } from '../../support/keyvault-double/adapter-fixture';

const LABEL = 'kv-jwt audit subject hash key, v1';

let vault: KeyVaultDouble;
beforeAll(async () => {
  assertTestCaTrusted();
  vault = await startKeyVaultDouble();
  useDoubleManagedIdentity(vault);
});
afterAll(async () => vault?.stop());

/** What the audit key must be for a version of the double: SHA-256 of its RS256 signature of the label. */
function expectedKey(auditKeyName: string, version: string): Buffer {
  const stored = vault.state.find(auditKeyName, version);
  if (!stored) throw new Error(`no version ${version}`);
  return createHash('sha256').update(sign('sha256', Buffer.from(LABEL), stored.material.privateKey)).digest();
}

describe('deriveAuditKey', () => {
  it('is SHA-256 of the RS256 signature of the label by an RSA-2048 key, whatever JWT_ALG and JWT_KEY_SIZE say', async () => {
    const auditKeyName = uniqueKeyName('audit');
    const config = doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: auditKeyName, KEY_VAULT_CREATE_KEY: 'true', JWT_ALG: 'ES256', JWT_KEY_SIZE: '4096' });
    const key = await deriveAuditKey(config, systemClock);
    const created = vault.state.latest(auditKeyName);
    expect(created).toMatchObject({ keySize: 2048, keyOps: ['sign', 'verify'], tags: { origin: 'startup', alg: 'RS256' } });
    expect(created?.material.kty).toBe('RSA');
    expect(key.equals(expectedKey(auditKeyName, created?.version ?? ''))).toBe(true);
  });

  it('stays the same when versions are added, and moves to the next oldest enabled version only when the oldest is disabled', async () => {
    const auditKeyName = uniqueKeyName('audit');
    const config = doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: auditKeyName, KEY_VAULT_CREATE_KEY: 'true' });
    const first = await deriveAuditKey(config, systemClock);
    const oldest = vault.state.latest(auditKeyName)?.version ?? '';
    // Created an hour ago: versions made within the same second are ordered by kid instead.
    vault.state.setCreated(auditKeyName, oldest, vault.nowSeconds() - 3600);
    const audit = storeOnDouble(vault, auditKeyName);
    const second = await audit.createVersion({ notBefore: vault.nowSeconds() - 60 });
    vault.state.setCreated(auditKeyName, second.kid, vault.nowSeconds() - 1800);
    await audit.createVersion({ notBefore: vault.nowSeconds() - 60 });
    expect((await deriveAuditKey(config, systemClock)).equals(first)).toBe(true);
    await audit.disableVersion(oldest);
    const after = await deriveAuditKey(config, systemClock);
    expect(after.equals(first)).toBe(false);
    expect(after.equals(expectedKey(auditKeyName, second.kid))).toBe(true);
  });

  it('stops when the audit key has no enabled version', async () => {
    const auditKeyName = uniqueKeyName('audit');
    const config = doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: auditKeyName, KEY_VAULT_CREATE_KEY: 'true' });
    await deriveAuditKey(config, systemClock);
    await storeOnDouble(vault, auditKeyName).disableVersion(vault.state.latest(auditKeyName)?.version ?? '');
    await expect(deriveAuditKey(config, systemClock)).rejects.toThrow(`The audit key '${auditKeyName}' has no enabled version.`);
  });
});
