import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/settings';

/** The app's identity (the same one Key Vault sees); @azure/identity is loaded only for it. */
async function credential(config: AppConfig): Promise<TokenCredential> {
  const { createVaultCredential } = await import('../keys/keyvault/credential');
  return createVaultCredential(config);
}

/**
 * A client for one table of the app's storage: REVOCATION_TABLE_URL with the managed identity,
 * else the identity-based host storage account (AzureWebJobsStorage__accountName), else the
 * AzureWebJobsStorage connection string (Azurite locally). No storage configured → undefined.
 * The revocations and the DPoP replay records live side by side in that account. `options` (e.g.
 * a shorter retry policy for a table on a request's path) go to the SDK client as they are.
 */
export async function appTableClient(config: AppConfig, table: string, options: TableServiceClientOptions = {}): Promise<TableClient | undefined> {
  if (config.storage.revocationTableUrl) return new TableClient(config.storage.revocationTableUrl, table, await credential(config), options);
  if (config.storage.accountName) return new TableClient(`https://${config.storage.accountName}.table.core.windows.net`, table, await credential(config), options);
  const connection = config.storage.connectionString;
  if (!connection) return undefined;
  const local = /http:\/\/(127\.0\.0\.1|localhost)/.test(connection) || connection.startsWith('UseDevelopmentStorage');
  return TableClient.fromConnectionString(connection, table, { ...options, allowInsecureConnection: local });
}
