import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export interface AzuriteHandle {
  blobPort: number;
  queuePort: number;
  tablePort: number;
  /** A connection string naming the actual ports (the well-known development account). */
  connectionString: string;
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
// The public, documented Azurite development key; not a secret.
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function developmentConnectionString(blobPort: number, queuePort: number, tablePort: number): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${ACCOUNT};QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT};` +
    `TableEndpoint=http://127.0.0.1:${tablePort}/${ACCOUNT};`
  );
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode} before listening.`);
    if (await portAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms.`);
}

/**
 * Starts Azurite (the npm storage emulator) on loopback. Ports 0 are not supported by Azurite, so
 * callers pass free ports (tests) or the well-known 10000-10002.
 */
export async function startAzurite(options: { blobPort: number; queuePort: number; tablePort: number; location?: string; silent?: boolean }): Promise<AzuriteHandle> {
  const entry = require.resolve('azurite/dist/src/azurite.js');
  const args = [
    entry,
    '--blobHost', '127.0.0.1', '--blobPort', String(options.blobPort),
    '--queueHost', '127.0.0.1', '--queuePort', String(options.queuePort),
    '--tableHost', '127.0.0.1', '--tablePort', String(options.tablePort),
    '--skipApiVersionCheck', '--disableProductStyleUrl',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: options.silent === false ? 'inherit' : 'ignore' });
  try {
    await Promise.all([waitForPort(options.blobPort, child, 20_000), waitForPort(options.tablePort, child, 20_000)]);
  } catch (error: unknown) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ...options,
    connectionString: developmentConnectionString(options.blobPort, options.queuePort, options.tablePort),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/**
 * `npm start`: when storage is `UseDevelopmentStorage=true`, make sure Azurite answers on the
 * well-known ports, reusing one the developer already runs.
 */
export async function ensureAzurite(env: NodeJS.ProcessEnv, appRoot: string): Promise<AzuriteHandle | undefined> {
  // Unset means the same as UseDevelopmentStorage=true locally (the app's default).
  const storage = env.AzureWebJobsStorage?.trim() || 'UseDevelopmentStorage=true';
  if (storage !== 'UseDevelopmentStorage=true' || env.AzureWebJobsStorage__accountName) return undefined;
  if (await portAnswers(10002)) return undefined;
  return startAzurite({ blobPort: 10000, queuePort: 10001, tablePort: 10002, location: join(appRoot, '.azurite') });
}
