import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/settings';
import { appTableClient } from '../../src/storage/table-client';
import { AZURE_SETTINGS, developmentTableConnection, localConfig } from '../support/config';

/**
 * Which storage a table of the app lives in: REVOCATION_TABLE_URL, else the identity-based host
 * account, else the AzureWebJobsStorage connection string (Azurite locally, from the jest global
 * setup); plain http only to a loopback emulator.
 */
const AZURE = AZURE_SETTINGS;
const connectionTo = developmentTableConnection;

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'answered';
  } catch (error: unknown) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('appTableClient', () => {
  it('is undefined without any storage (in Azure no connection string is assumed)', async () => {
    expect(await appTableClient(loadConfig(AZURE), 'revocations')).toBeUndefined();
  });

  it('uses REVOCATION_TABLE_URL first, with the managed identity', async () => {
    const config = loadConfig({ ...AZURE, AzureWebJobsStorage__accountName: 'kvjwtstore', AzureWebJobsStorage: connectionTo('http://127.0.0.1:1/x'), REVOCATION_TABLE_URL: 'https://tables.contoso.example' });
    const client = await appTableClient(config, 'dpopjti');
    expect([client?.url, client?.tableName]).toEqual(['https://tables.contoso.example', 'dpopjti']);
  });

  it('else the identity-based host storage account (AzureWebJobsStorage__accountName), over https', async () => {
    const config = loadConfig({ ...AZURE, AzureWebJobsStorage__accountName: 'kvjwtstore', AzureWebJobsStorage: connectionTo('http://127.0.0.1:1/x') });
    const client = await appTableClient(config, 'revocations');
    expect([client?.url, client?.tableName]).toEqual(['https://kvjwtstore.table.core.windows.net', 'revocations']);
  });

  it('else the AzureWebJobsStorage connection string: Azurite over loopback http, for real', async () => {
    const table = `tc${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const client = await appTableClient(localConfig({ AzureWebJobsStorage: String(process.env.AZURITE_CONNECTION_STRING) }), table);
    await client?.createTable();
    await client?.createEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    expect((await client?.getEntity<{ value: number }>('p', 'r'))?.value).toBe(1);
    expect(client?.tableName).toBe(table);
  });

  it('locally defaults to the development storage (Azurite at 127.0.0.1:10002)', async () => {
    const client = await appTableClient(localConfig(), 'revocations', { retryOptions: { maxRetries: 0 } });
    expect(client?.url).toBe('http://127.0.0.1:10002/devstoreaccount1');
    // Whether or not an emulator listens there, the request goes out: loopback http is allowed.
    expect(await failure(() => client?.getEntity('p', 'r', { abortSignal: AbortSignal.timeout(5000) }) ?? Promise.resolve())).not.toMatch(/allowInsecureConnection/);
  });

  it('never sends a request over plain http to anything but loopback', async () => {
    const client = await appTableClient(localConfig({ AzureWebJobsStorage: connectionTo('http://192.0.2.1:10002/devstoreaccount1') }), 'revocations');
    expect(await failure(() => client?.createTable() ?? Promise.resolve())).toBe('Cannot connect to http://192.0.2.1:10002/devstoreaccount1/Tables while allowInsecureConnection is false.');
  });

  describe('client options', () => {
    let server: Server;
    let requests = 0;
    beforeAll(async () => {
      server = createServer((_request, response) => {
        requests += 1;
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"odata.error":{"code":"ServerBusy","message":{"value":"busy"}}}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('hands the options (here: no retries) to the SDK client as they are', async () => {
      const { port } = server.address() as AddressInfo;
      const client = await appTableClient(localConfig({ AzureWebJobsStorage: connectionTo(`http://127.0.0.1:${port}/devstoreaccount1`) }), 'revocations', { retryOptions: { maxRetries: 0 } });
      expect(await failure(() => client?.createEntity({ partitionKey: 'p', rowKey: 'r' }) ?? Promise.resolve())).not.toBe('answered');
      expect(requests).toBe(1);
    });
  });
});
