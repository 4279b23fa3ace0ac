import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyedSubjectHasher } from '../src/audit';
import { systemClock } from '../src/clock';
import { ConfigError } from '../src/errors';
import { EmbeddedKeyStore } from '../src/keys/embedded/embedded-key-store';
import { deriveAuditKey } from '../src/keys/keyvault/audit-key';
import { startKeyVaultDouble, type KeyVaultDouble } from './support/keyvault-double';
import { assertTestCaTrusted, doubleConfig, uniqueKeyName, useDoubleManagedIdentity } from './support/keyvault-double/adapter-fixture';

describe('keyed subject hashes in audit events', () => {
  it('can not be reversed with a dictionary without the key: not the plain SHA-256, and different per key', () => {
    const hash = keyedSubjectHasher(Buffer.alloc(32, 1));
    const subject = 'alice@contoso.com';
    const unkeyed = createHash('sha256').update(subject).digest('base64url');
    expect(hash(subject)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(unkeyed.startsWith(hash(subject) ?? '')).toBe(false);
    expect(keyedSubjectHasher(Buffer.alloc(32, 2))(subject)).not.toBe(hash(subject));
    expect(hash(subject)).toBe(keyedSubjectHasher(Buffer.alloc(32, 1))(subject));
    expect(hash(undefined)).toBeUndefined();
    expect(hash(42)).toBeUndefined();
  });

  it('embedded: one key per store folder, the same for every process, sealed at rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-audit-'));
    try {
      const first = new EmbeddedKeyStore({ dir, alg: 'ES256', clock: systemClock });
      const second = new EmbeddedKeyStore({ dir, alg: 'ES256', clock: systemClock });
      expect(first.auditKey()).toHaveLength(32);
      expect(second.auditKey().equals(first.auditKey())).toBe(true);
      const other = new EmbeddedKeyStore({ dir: mkdtempSync(join(tmpdir(), 'kvjwt-audit-')), alg: 'ES256', clock: systemClock });
      expect(other.auditKey().equals(first.auditKey())).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('Key Vault: derived from a dedicated key, deterministically', () => {
    let vault: KeyVaultDouble;
    beforeAll(async () => {
      assertTestCaTrusted();
      vault = await startKeyVaultDouble();
      useDoubleManagedIdentity(vault);
    });
    afterAll(async () => vault?.stop());

    it('gives every instance the same key, made only by signing in the vault', async () => {
      const auditKeyName = uniqueKeyName('audit');
      const config = doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: auditKeyName, KEY_VAULT_CREATE_KEY: 'true' });
      const signsBefore = vault.counters.get('sign');
      const first = await deriveAuditKey(config, systemClock);
      const second = await deriveAuditKey(config, systemClock);
      expect(first).toHaveLength(32);
      expect(second.equals(first)).toBe(true);
      expect(vault.counters.get('sign') - signsBefore).toBe(2);
      const other = await deriveAuditKey(doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: uniqueKeyName('audit'), KEY_VAULT_CREATE_KEY: 'true' }), systemClock);
      expect(other.equals(first)).toBe(false);
    });

    it('stops start-up naming AUDIT_KEY_NAME when the key is missing and may not be created', async () => {
      const refusal = await deriveAuditKey(doubleConfig(vault, uniqueKeyName(), { AUDIT_KEY_NAME: uniqueKeyName('missing-audit') }), systemClock).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ConfigError);
      expect((refusal as ConfigError).setting).toBe('AUDIT_KEY_NAME');
    });
  });
});
