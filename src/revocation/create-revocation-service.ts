import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../audit';
import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import { TableRevocationService } from './table-revocation-service';

const SYNC_INTERVAL_MS = 1000;

/** The app's identity (the same one Key Vault sees); @azure/identity is loaded only for it. */
async function credential(config: AppConfig): Promise<TokenCredential> {
  const { createVaultCredential } = await import('../keys/keyvault/credential');
  return createVaultCredential(config);
}

/**
 * The table client from the settings: REVOCATION_TABLE_URL with the managed identity, else the
 * identity-based host storage account (AzureWebJobsStorage__accountName), else the
 * AzureWebJobsStorage connection string (Azurite locally). No storage configured → undefined.
 */
export async function revocationTableClient(config: AppConfig): Promise<TableClient | undefined> {
  const table = config.storage.revocationTableName;
  if (config.storage.revocationTableUrl) return new TableClient(config.storage.revocationTableUrl, table, await credential(config));
  if (config.storage.accountName) return new TableClient(`https://${config.storage.accountName}.table.core.windows.net`, table, await credential(config));
  const connection = config.storage.connectionString;
  if (!connection) return undefined;
  return TableClient.fromConnectionString(connection, table, { allowInsecureConnection: /http:\/\/(127\.0\.0\.1|localhost)/.test(connection) || connection.startsWith('UseDevelopmentStorage') });
}

export async function createRevocationService(config: AppConfig, clock: Clock, logger: Logger): Promise<TableRevocationService | undefined> {
  const client = await revocationTableClient(config);
  if (!client) return undefined;
  const service = new TableRevocationService({
    client,
    clock,
    logger,
    coverSeconds: Math.ceil((config.maxTtlMs + config.clockSkewMs) / 1000),
    syncIntervalMs: SYNC_INTERVAL_MS,
    maxStalenessMs: config.storage.revocationMaxStalenessMs,
  });
  await service.start();
  return service;
}
