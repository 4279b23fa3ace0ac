import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** Azurite on its ports, with the well-known development account's connection string; stop() lets it save its tables, then waits for its exit. */
export interface AzuriteHandle { blobPort: number; queuePort: number; tablePort: number; connectionString: string; stop(): Promise<void> }

/** Azurite saves and exits within tens of milliseconds; this only bounds a hung one. */
export const AZURITE_STOP_TIMEOUT_MS = 5000;
// The public, documented Azurite development key; not a secret.
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** Loaded into Azurite first: when its parent closes the IPC channel, or dies (even by SIGKILL), stop as on SIGTERM. */
const STOP_WITH_PARENT = `data:text/javascript,${encodeURIComponent('process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));')}`;

/** The well-known development account of Azurite on these ports. */
export function developmentConnectionString({ blobPort, queuePort, tablePort }: { blobPort: number; queuePort: number; tablePort: number }): string {
  const endpoints = Object.entries({ Blob: blobPort, Queue: queuePort, Table: tablePort }).map(([service, port]) => `${service}Endpoint=http://127.0.0.1:${port}/devstoreaccount1;`);
  return `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};${endpoints.join('')}`;
}

function answers(port: number): Promise<boolean> {
  const socket = connect({ host: '127.0.0.1', port });
  return once(socket, 'connect').then(() => true, () => false).finally(() => socket.destroy());
}

async function untilListening(child: ChildProcess, ports: number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.all(ports.map(answers))).every(Boolean)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Azurite did not listen on ports ${ports.join(', ')} (exit code ${child.exitCode}).`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

/**
 * Starts Azurite (the npm storage emulator) on loopback, on given ports (it has no port 0). With a
 * `location` it saves its tables every 5 s and when it stops on its first SIGINT or SIGTERM; a second
 * kills it before that save (its handlers are `once`), and Ctrl-C reaches a terminal's whole process
 * group. So Azurite has a group of its own (`detached`); the host stops it once, then waits for its exit.
 */
export async function startAzurite(options: { blobPort: number; queuePort: number; tablePort: number; location?: string; silent?: boolean }): Promise<AzuriteHandle> {
  const { location, silent, ...ports } = options;
  const args = Object.entries({ blob: ports.blobPort, queue: ports.queuePort, table: ports.tablePort }).flatMap(([service, port]) => [`--${service}Host`, '127.0.0.1', `--${service}Port`, String(port)]);
  if (location) mkdirSync(location, { recursive: true });
  args.push(...(location ? ['--location', location] : ['--inMemoryPersistence']), '--skipApiVersionCheck', '--disableProductStyleUrl', '--disableTelemetry');
  const output = silent === false ? 'inherit' : 'ignore';
  const child = spawn(process.execPath, ['--import', STOP_WITH_PARENT, require.resolve('azurite/dist/src/azurite.js'), ...args], { detached: true, windowsHide: true, stdio: ['ignore', output, output, 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await untilListening(child, [ports.blobPort, ports.tablePort]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    ...ports,
    connectionString: developmentConnectionString(ports),
    async stop() {
      if (child.connected) child.disconnect();
      const kill = setTimeout(() => child.kill('SIGKILL'), AZURITE_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** `npm start`: with storage `UseDevelopmentStorage=true` (or unset, the app's local default), Azurite on the well-known ports, or the one already there. */
export async function ensureAzurite(env: NodeJS.ProcessEnv, appRoot: string): Promise<AzuriteHandle | undefined> {
  const storage = env.AzureWebJobsStorage?.trim() || 'UseDevelopmentStorage=true';
  if (storage !== 'UseDevelopmentStorage=true' || env.AzureWebJobsStorage__accountName || (await answers(10002))) return undefined;
  return startAzurite({ blobPort: 10000, queuePort: 10001, tablePort: 10002, location: join(appRoot, '.azurite') });
}
