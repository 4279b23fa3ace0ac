import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureAzurite, type AzuriteHandle } from './azurite';
import { HostLog } from './host-log';
import { createHostServer } from './http-server';
import { applyLocalSettings } from './local-settings';
import { loadRegistrations, type Registration } from './registry';
import { Router } from './routes';
import { TimerScheduler } from './timer-scheduler';

const appRoot = resolve(__dirname, '..', '..');
const log = new HostLog();

function routePrefix(): string {
  const path = join(appRoot, 'host.json');
  if (!existsSync(path)) return 'api';
  const host = JSON.parse(readFileSync(path, 'utf8')) as { extensions?: { http?: { routePrefix?: string } } };
  return host.extensions?.http?.routePrefix ?? 'api';
}

/** AUTH_MODE=none lets anyone sign: such a host only ever listens on loopback. */
function bindAddress(): string {
  const authMode = process.env.AUTH_MODE?.trim() || 'none';
  if (authMode !== 'entra') return '127.0.0.1';
  return process.env.HOST?.trim() || '127.0.0.1';
}

function printBanner(baseUrl: string, prefix: string, registrations: readonly Registration[]): void {
  const lines = [`kv-jwt host listening on ${baseUrl}`, '', 'Functions:'];
  for (const r of registrations) {
    if (r.trigger === 'http') lines.push(`  ${r.name}: [${(r.methods ?? []).join(',')}] ${baseUrl}/${prefix}/${r.route}`);
    else if (r.trigger === 'timer') lines.push(`  ${r.name}: timer, schedule ${r.schedule} (${r.rawSchedule})`);
  }
  const audience = (process.env.JWT_AUDIENCES ?? 'api://local-dev').split(',')[0].trim();
  lines.push(
    '',
    'Sign a token:',
    `  curl -s -X POST ${baseUrl}/${prefix}/sign -H 'Content-Type: application/json' -d '{"claims":{"sub":"demo","aud":"${audience}"}}'`,
    'Verify it (paste the token):',
    `  curl -s -X POST ${baseUrl}/${prefix}/verify -H 'Content-Type: application/json' -d '{"token":"<token>"}'`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * PORT=0 means any free port. It is chosen before the app loads, because the default issuer
 * (`http://localhost:<PORT>/api`) is read from PORT when the functions import their settings.
 */
async function choosePort(host: string): Promise<number> {
  const requested = Number(process.env.PORT ?? '7071');
  if (requested !== 0) return requested;
  const probe = createServer();
  await new Promise<void>((resolveListen) => probe.listen(0, host, () => resolveListen()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  process.env.PORT = String(port);
  return port;
}

async function main(): Promise<void> {
  applyLocalSettings(appRoot);
  const host = bindAddress();
  const port = await choosePort(host);
  const azurite: AzuriteHandle | undefined = await ensureAzurite(process.env, appRoot);
  if (azurite) log.write('info', 'azurite.started', { tablePort: azurite.tablePort });
  const registrations = loadRegistrations(join(appRoot), process.env);
  const prefix = routePrefix();
  const server = createHostServer(new Router(prefix, registrations), log);
  const scheduler = new TimerScheduler(log);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  printBanner(`http://${address.address}:${address.port}`, prefix, registrations);
  scheduler.start(registrations);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.write('info', 'host.stopping', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void (async () => {
      await scheduler.stop();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeIdleConnections();
      });
      await azurite?.stop();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Start-up errors name the setting or file at fault (ConfigError, KeyStoreError); no secrets in them.
  process.stderr.write(`kv-jwt host failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
