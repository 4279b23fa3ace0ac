import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ensureAzurite, type AzuriteHandle } from './azurite';
import { banner, baseUrlFor } from './banner';
import { applyLocalSettings, bindAddress, explicitAuthMode, requestedPort, requestTimeoutMs, routePrefix } from './host-config';
import { HostLog } from './host-log';
import { appStartHooks } from './functions-core-standin';
import { createHostServer } from './http-server';
import { loadRegistrations } from './registry';
import { Router } from './routes';
import { shutDown, stopOnSignals } from './shutdown';
import { TimerScheduler } from './timer-scheduler';

/**
 * `npm start`: the compiled functions of the app in the current folder (as `func start` takes it) or the one given.
 * Settings first (read at import), then the socket (PORT=0 resolved before the issuer derives from it), Azurite, the functions, the timers.
 */
const appRoot = resolve(process.argv[2] ?? process.cwd());
const log = new HostLog();
/** In-flight requests and timer runs get this long on SIGINT/SIGTERM; Azurite's stop comes after, bounded too. */
const SHUTDOWN_GRACE_MS = 8000;
let server: Server | undefined, scheduler: TimerScheduler | undefined, azurite: AzuriteHandle | undefined;
let stopping = false;

function stopEverything(signal?: NodeJS.Signals): Promise<boolean> {
  if (signal) log.write('info', 'host.stopping', { signal });
  stopping = true;
  return shutDown({ server, timers: scheduler, azurite, graceMs: SHUTDOWN_GRACE_MS, log });
}

async function loadApp(address: AddressInfo): Promise<Router> {
  process.env.PORT = String(address.port);
  azurite = await ensureAzurite(process.env, appRoot);
  if (azurite) log.write('info', 'azurite.started', { blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort });
  const registrations = loadRegistrations(appRoot, process.env);
  for (const hook of appStartHooks) await hook({ hookData: {} });
  const prefix = routePrefix(appRoot);
  scheduler = new TimerScheduler(registrations, log);
  process.stdout.write(banner(baseUrlFor(address.address, address.port), prefix, registrations, process.env));
  return new Router(prefix, registrations);
}

async function main(): Promise<void> {
  stopOnSignals(stopEverything);
  applyLocalSettings(appRoot);
  explicitAuthMode(process.env);
  let appLoaded!: (router: Promise<Router>) => void;
  server = createHostServer(new Promise((resolveRouter) => (appLoaded = resolveRouter)), log, requestTimeoutMs(process.env));
  await once(server.listen(requestedPort(process.env), bindAddress(process.env)), 'listening'); // rejects on EADDRINUSE
  const app = loadApp(server.address() as AddressInfo);
  appLoaded(app);
  await app;
  if (!stopping) scheduler?.start();
}

main().catch((error: unknown) => {
  // Start-up errors name the setting or file at fault (ConfigError, a bad schedule, a busy port); no secrets in them.
  process.stderr.write(`kv-jwt host failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  void stopEverything().finally(() => process.exit(1));
});
