import type { TableClient } from '@azure/data-tables';
import type { Logger } from '../audit';
import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import { appTableClient } from '../storage/table-client';
import { TableRevocationService } from './table-revocation-service';

const SYNC_INTERVAL_MS = 1000;

/** The revocation table's client (see appTableClient for where it lives). No storage configured → undefined. */
export function revocationTableClient(config: AppConfig): Promise<TableClient | undefined> {
  return appTableClient(config, config.storage.revocationTableName);
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
