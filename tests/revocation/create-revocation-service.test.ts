import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config/settings';
import { createRevocationService, revocationTableClient } from '../../src/revocation/create-revocation-service';
import type { TableRevocationService } from '../../src/revocation/table-revocation-service';
import { AZURE_SETTINGS, localConfig } from '../support/config';

/**
 * The revocation service as the app builds it from its settings, on the real storage emulator
 * (Azurite, from the jest global setup): the table REVOCATION_TABLE_NAME, entries kept for the
 * longest token lifetime plus skew, REVOCATION_MAX_STALENESS, and started before it is handed out.
 */
const NOW = 1_700_000_000;
const STORAGE = (): string => {
  const connection = process.env.AZURITE_CONNECTION_STRING;
  if (!connection) throw new Error('AZURITE_CONNECTION_STRING is set by the jest global setup.');
  return connection;
};
const tableName = (): string => `crs${randomUUID().replace(/-/g, '').slice(0, 16)}`;

const running: TableRevocationService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function created(env: Record<string, string>, clock: ManualClock): Promise<TableRevocationService> {
  const service = await createRevocationService(localConfig({ AzureWebJobsStorage: STORAGE(), ...env }), clock, silentLogger);
  if (!service) throw new Error('expected a revocation service');
  running.push(service);
  return service;
}

describe('createRevocationService', () => {
  it('is undefined when no storage is configured (in Azure, without AzureWebJobsStorage)', async () => {
    const config = loadConfig(AZURE_SETTINGS);
    expect(await revocationTableClient(config)).toBeUndefined();
    expect(await createRevocationService(config, new ManualClock(NOW * 1000), silentLogger)).toBeUndefined();
  });

  it('keeps its rows in REVOCATION_TABLE_NAME and is loaded (ready) when handed out', async () => {
    const name = tableName();
    const service = await created({ REVOCATION_TABLE_NAME: name }, new ManualClock(NOW * 1000));
    expect(service.health()).toMatchObject({ ready: true, stalenessMs: 0 });
    expect(service.isRevoked({ jti: 'nothing-yet' })).toBe(false);
    await service.revokeToken('in-the-named-table', NOW + 60, 'test');
    const stored = [];
    for await (const row of TableClient.fromConnectionString(STORAGE(), name, { allowInsecureConnection: true }).listEntities<{ jti?: string }>()) stored.push(row.jti);
    expect(stored).toContain('in-the-named-table');
    expect((await revocationTableClient(localConfig({ AzureWebJobsStorage: STORAGE(), REVOCATION_TABLE_NAME: name })))?.tableName).toBe(name);
  });

  it('keeps a subject or service-wide cut-off for the longest token lifetime plus the clock skew (rounded up to seconds)', async () => {
    const name = tableName();
    const service = await created({ REVOCATION_TABLE_NAME: name, JWT_MAX_TTL: 'PT10M', JWT_DEFAULT_TTL: 'PT5M', JWT_CLOCK_SKEW: 'PT30.5S' }, new ManualClock(NOW * 1000));
    await service.revokeSubject('alice', NOW, 'test');
    await service.revokeAllBefore(NOW, 'test');
    const expires: Record<string, unknown> = {};
    for await (const row of TableClient.fromConnectionString(STORAGE(), name, { allowInsecureConnection: true }).listEntities<{ expires?: number }>()) {
      if (row.partitionKey === 'sub' || row.partitionKey === 'all') expires[row.partitionKey] = row.expires;
    }
    expect(expires).toEqual({ sub: NOW + 631, all: NOW + 631 });
  });

  it('serves its view for REVOCATION_MAX_STALENESS without a sync, then fails closed', async () => {
    const clock = new ManualClock(NOW * 1000);
    const service = await created({ REVOCATION_TABLE_NAME: tableName(), REVOCATION_MAX_STALENESS: 'PT2M' }, clock);
    clock.advance(120_000);
    expect(service.health()).toMatchObject({ ready: true });
    clock.advance(1);
    expect(service.health()).toMatchObject({ ready: false });
    expect(() => service.isRevoked({ jti: 'x' })).toThrow(expect.objectContaining({ code: 'revocation_unavailable' }));
  });
});
