/**
 * The key of keyed audit hashes (src/audit.ts) in Azure, derived from a dedicated Key Vault key
 * (AUDIT_KEY_NAME): an RS256 (RSA PKCS#1 v1.5) signature is deterministic, so the signature of a
 * fixed label by the key's oldest enabled version gives every instance the same 32 bytes — and
 * only an identity allowed to sign with that key can compute them. Nothing secret is generated
 * outside the vault and the app needs no Key Vault Secrets role; the key never rotates (a new
 * audit key would break the correlation of old and new events).
 */
import { createHash } from 'node:crypto';
import { nowSeconds, type Clock } from '../../clock';
import type { AppConfig } from '../../config/settings';
import { createKeyVaultKeyStore, type KeyVaultStoreOverrides } from './create-keyvault-key-store';
import { ensureKeyExists } from './ensure-key';

const LABEL = 'kv-jwt audit subject hash key, v1';

export async function deriveAuditKey(config: AppConfig, clock: Clock, overrides: KeyVaultStoreOverrides = {}): Promise<Buffer> {
  const store = createKeyVaultKeyStore({ ...config, keyName: config.auditKeyName, alg: 'RS256', rsaKeySize: 2048 }, clock, overrides);
  await ensureKeyExists(store, { createIfMissing: config.keyVault.createKeyIfMissing, nowSeconds: nowSeconds(clock), keySize: 2048, setting: 'AUDIT_KEY_NAME' });
  const versions = (await store.listVersions()).filter((v) => v.enabled).sort((a, b) => a.created - b.created || (a.kid < b.kid ? -1 : 1));
  if (versions.length === 0) throw new Error(`The audit key '${config.auditKeyName}' has no enabled version.`);
  const signature = await store.sign(versions[0].kid, 'RS256', Buffer.from(LABEL));
  return createHash('sha256').update(signature).digest();
}
