/**
 * Outside services shared by every test file of one jest run, started in globalSetup: one Azurite
 * (the real storage emulator, from npm) on free loopback ports. Its connection string reaches the
 * workers and the hosts they start through AZURITE_CONNECTION_STRING.
 */
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../../devhost/azurite';
import { loadTestCaModule } from './keyvault-double/test-ca';

type Stop = () => Promise<void>;

declare global {
   
  var __kvJwtSharedStops: Stop[] | undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startSharedServices(): Promise<void> {
  const stops: Stop[] = [];
  globalThis.__kvJwtSharedStops = stops;
  await trustTestCaInWorkers();
  const location = mkdtempSync(join(tmpdir(), 'kvjwt-azurite-'));
  const azurite = await startAzurite({ blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort(), location });
  process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
  stops.push(async () => {
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  });
}

/**
 * The Key Vault double's certificate comes from a test CA that Node must trust from process start
 * (NODE_EXTRA_CA_CERTS). `npm test` sets it before jest starts; for a plain `npx jest` the workers,
 * started after this setup, inherit it from here. (A run in band stays in this process: use npm test.)
 */
async function trustTestCaInWorkers(): Promise<void> {
  const testCa = loadTestCaModule();
  await testCa.makeTestCa();
  if (!testCa.isTestCaTrusted(process.env)) process.env.NODE_EXTRA_CA_CERTS = testCa.writeTrustBundle(process.env.NODE_EXTRA_CA_CERTS);
}

export async function stopSharedServices(): Promise<void> {
  const pending = globalThis.__kvJwtSharedStops ?? [];
  for (const stop of pending.reverse()) await stop();
}
