import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/audit';
import { ManualClock } from '../../src/clock';
import { loadConfig } from '../../src/config/settings';
import { bindingDependencies, createReplayCache } from '../../src/binding/dependencies';
import { noReplayCache } from '../../src/binding/replay-cache';
import { TableReplayCache } from '../../src/binding/table-replay-cache';
import { AZURE_SETTINGS, developmentTableConnection, localConfig } from '../support/config';
import { azuriteTable, uniqueTableName } from '../support/replay-table';

/** What checking a binding needs, as the app binds it from its settings. */
const NOW = 1_700_000_000;
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('createReplayCache', () => {
  it('accepts no proof when no storage is configured (in Azure, without AzureWebJobsStorage)', async () => {
    const config = loadConfig(AZURE_SETTINGS);
    expect(await createReplayCache(config, new ManualClock(NOW * 1000), silentLogger)).toBe(noReplayCache);
  });

  it('keeps the records in DPOP_REPLAY_TABLE_NAME of the app storage, shared by every instance (Azurite)', async () => {
    const name = uniqueTableName();
    const config = localConfig({ AzureWebJobsStorage: String(process.env.AZURITE_CONNECTION_STRING), DPOP_REPLAY_TABLE_NAME: name });
    const clock = new ManualClock(NOW * 1000);
    const [first, second] = await Promise.all([createReplayCache(config, clock, silentLogger), createReplayCache(config, clock, silentLogger)]);
    expect(first).toBeInstanceOf(TableReplayCache);
    expect(await first.remember(JKT, 'jti-1', NOW + 60)).toBe('fresh');
    expect(await second.remember(JKT, 'jti-1', NOW + 60)).toBe('replayed');
    const rows = [];
    for await (const row of azuriteTable(name).listEntities()) rows.push(row);
    expect(rows).toHaveLength(1);
    await Promise.all([first.close?.(), second.close?.()]);
  });

  describe('on a request path', () => {
    let server: Server;
    const requests: string[] = [];
    beforeAll(async () => {
      // A table endpoint that is down: every request a 503.
      server = createServer((request, response) => {
        requests.push(`${request.method} ${request.url?.split('?')[0]}`);
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"odata.error":{"code":"ServerBusy","message":{"value":"busy"}}}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('tries a record write three times at most (two quick retries), then refuses the proof with a 503', async () => {
      const { port } = server.address() as AddressInfo;
      const connection = developmentTableConnection(`http://127.0.0.1:${port}/devstoreaccount1`);
      const config = localConfig({ AzureWebJobsStorage: connection, DPOP_REPLAY_TABLE_NAME: 'dpopdown' });
      const cache = await createReplayCache(config, new ManualClock(NOW * 1000), silentLogger);
      await expect(cache.remember(JKT, 'jti', NOW + 60)).rejects.toMatchObject({ code: 'replay_cache_unavailable', status: 503 });
      expect(requests.filter((r) => r === 'POST /devstoreaccount1/dpopdown')).toHaveLength(3);
      expect(requests.filter((r) => r === 'POST /devstoreaccount1/Tables')).toHaveLength(3);
    });
  });
});

describe('bindingDependencies', () => {
  it('takes the proof window and the skew in seconds, and the public URL of the sign route', () => {
    const config = localConfig({ DPOP_PROOF_WINDOW: 'PT30S', JWT_CLOCK_SKEW: 'PT90.9S', WEBSITE_HOSTNAME: 'tokens.contoso.com' });
    const clock = new ManualClock(NOW * 1000);
    expect(bindingDependencies(config, clock, noReplayCache)).toEqual({ clock, replayCache: noReplayCache, proofWindowSeconds: 30, clockSkewSeconds: 90, signUri: 'https://tokens.contoso.com/api/sign' });
  });
});
