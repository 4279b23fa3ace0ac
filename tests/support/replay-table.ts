import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';

/** A fresh table name, so each test has its own replay records in the run's shared Azurite. */
export function uniqueTableName(prefix = 'dpop'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** A client of the jest run's Azurite (started by the global setup) for one table. */
export function azuriteTable(name = uniqueTableName()): TableClient {
  const connection = process.env.AZURITE_CONNECTION_STRING;
  if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
  return TableClient.fromConnectionString(connection, name, { allowInsecureConnection: true });
}
