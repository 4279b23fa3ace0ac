import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { developmentConnectionString, startAzurite, type AzuriteHandle } from '../../devhost/azurite';
import { HostLog } from '../../devhost/host-log';
import { shutDown } from '../../devhost/shutdown';

/**
 * Azurite keeps tables in a file it saves every 5 s and when it stops cleanly: a revocation written
 * just before the host stops must be there when it starts again, however the host is stopped.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'devhost-azurite', 'host.js');
const ENTITY = { partitionKey: 'revoked', rowKey: 'jti-1', until: '2030-01-01T00:00:00Z' };
let location: string;
let ports: { blobPort: number; queuePort: number; tablePort: number };

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

const table = (): TableClient => TableClient.fromConnectionString(developmentConnectionString(ports), 'revocations', { allowInsecureConnection: true });

async function writeEntity(): Promise<void> {
  await table().createTable();
  await table().createEntity(ENTITY);
}

/** Starts Azurite again on the same location and reads the entity back. */
async function readBack(): Promise<unknown> {
  const azurite = await startAzurite({ ...ports, location });
  try {
    const { until } = await table().getEntity<{ until: string }>(ENTITY.partitionKey, ENTITY.rowKey);
    return until;
  } finally {
    await azurite.stop();
  }
}

async function portClosed(port: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((wake) => setTimeout(wake, 50))) {
    const socket = connect(port, '127.0.0.1');
    const open = await once(socket, 'connect').then(() => true, () => false);
    socket.destroy();
    if (!open) return true;
  }
  return false;
}

beforeEach(async () => {
  location = mkdtempSync(join(tmpdir(), 'kvjwt-azurite-stop-'));
  ports = { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() };
});
afterEach(() => rmSync(location, { recursive: true, force: true }));

describe('Azurite under the embedded host', () => {
  it('keeps an entity written right before the host’s stop path stops it', async () => {
    const azurite: AzuriteHandle = await startAzurite({ ...ports, location });
    await writeEntity();
    const started = Date.now();
    await expect(shutDown({ azurite, graceMs: 1000, log: new HostLog(() => undefined) })).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(3000); // a clean stop, not the SIGKILL fallback
    expect(await readBack()).toBe(ENTITY.until);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('keeps it when %s reaches the host’s whole process group (Ctrl-C in a terminal)', async (signal) => {
    // The fixture leads a process group of its own, as a shell makes `npm start` do.
    const host = spawn(process.execPath, [FIXTURE, String(ports.blobPort), String(ports.queuePort), String(ports.tablePort), location], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(host, 'exit');
    await once(host.stdout, 'data');
    await writeEntity();
    process.kill(-(host.pid ?? 0), signal);
    // An impatient second Ctrl-C while the host stops changes nothing.
    setTimeout(() => {
      try {
        process.kill(-(host.pid ?? 0), signal);
      } catch {
        // ESRCH: the host was done already.
      }
    }, 20);
    expect(await exited).toEqual([0, null]);
    expect(await portClosed(ports.tablePort, 1000)).toBe(true);
    expect(await readBack()).toBe(ENTITY.until);
  });

  it('stops Azurite cleanly, saving, when the host dies without stopping it (SIGKILL)', async () => {
    const host = spawn(process.execPath, [FIXTURE, String(ports.blobPort), String(ports.queuePort), String(ports.tablePort), location], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(host.stdout, 'data');
    await writeEntity();
    host.kill('SIGKILL');
    expect(await portClosed(ports.tablePort, 10_000)).toBe(true);
    expect(await readBack()).toBe(ENTITY.until);
  });
});
