import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ensureAzurite, type AzuriteHandle } from './azurite';
import { banner, baseUrlFor } from './banner';
import { bindAddress, requestedPort, routePrefix } from './host-config';
import { HostLog } from './host-log';
import { createHostServer } from './http-server';
import { shutDown, stopOnSignals } from './shutdown';
import { applyLocalSettings } from './local-settings';
import { loadRegistrations } from './registry';
import { Router } from './routes';
import { TimerScheduler } from './timer-scheduler';

/**
 * `npm start`: the app's compiled functions served without Core Tools. Order matters: settings
 * first (the functions read them at import), then the socket (so PORT=0 is resolved before the
 * default issuer is derived from PORT), then Azurite, then the functions, then timers.
 */
const appRoot = resolve(__dirname, '..', '..');
const log = new HostLog();
/** In-flight requests and timer runs get this long to finish on SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 8000;

let server: Server | undefined;
let scheduler: TimerScheduler | undefined;
let azurite: AzuriteHandle | undefined;
let stopping = false;

function listen(target: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    target.once('error', reject);
    target.listen(port, host, () => {
      target.off('error', reject);
      resolveListen(target.address() as AddressInfo);
    });
  });
}

function stopEverything(): Promise<boolean> {
  return shutDown({ server, timers: scheduler, azurite, graceMs: SHUTDOWN_GRACE_MS, log });
}

async function main(): Promise<void> {
  stopOnSignals((signal) => {
    stopping = true;
    log.write('info', 'host.stopping', { signal });
    return stopEverything();
  });
  applyLocalSettings(appRoot);
  const host = bindAddress(process.env);
  let ready: (router: Router) => void = () => undefined;
  let failed: (error: unknown) => void = () => undefined;
  const router = new Promise<Router>((resolveRouter, rejectRouter) => {
    ready = resolveRouter;
    failed = rejectRouter;
  });
  router.catch(() => undefined); // A failed start is reported once, below.
  server = createHostServer(router, log);
  try {
    const address = await listen(server, requestedPort(process.env), host);
    process.env.PORT = String(address.port);
    azurite = await ensureAzurite(process.env, appRoot);
    if (azurite) log.write('info', 'azurite.started', { blobPort: azurite.blobPort, queuePort: azurite.queuePort, tablePort: azurite.tablePort });
    const registrations = loadRegistrations(appRoot, process.env);
    const prefix = routePrefix(appRoot);
    scheduler = new TimerScheduler(registrations, log);
    ready(new Router(prefix, registrations));
    process.stdout.write(banner(baseUrlFor(address.address, address.port), prefix, registrations, process.env));
    if (!stopping) scheduler.start();
  } catch (error: unknown) {
    failed(error);
    throw error;
  }
}

main().catch((error: unknown) => {
  // Start-up errors name the setting or file at fault (ConfigError, a bad schedule, a busy port); no secrets in them.
  process.stderr.write(`kv-jwt host failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  stopping = true;
  void stopEverything().finally(() => process.exit(1));
});
