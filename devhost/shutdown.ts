import type { Server } from 'node:http';
import type { HostLog } from './host-log';

export interface Stoppable {
  stop(): Promise<void>;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolveClose) => {
    // close() stops accepting and resolves once in-flight requests are answered; idle keep-alive
    // sockets would otherwise hold it open.
    server.close(() => resolveClose());
    server.closeIdleConnections();
  });
}

/**
 * Stops the host in order: no new timer runs and no new connections, then in-flight requests and
 * timer runs get `graceMs` to finish (after that their connections are cut), then Azurite.
 * Returns whether everything finished within the grace period.
 */
export async function shutDown(parts: { server?: Server; timers?: Stoppable; azurite?: Stoppable; graceMs: number; log: HostLog }): Promise<boolean> {
  let graceTimer: NodeJS.Timeout | undefined;
  const grace = new Promise<'timeout'>((resolveGrace) => {
    graceTimer = setTimeout(() => resolveGrace('timeout'), parts.graceMs);
  });
  const drained = Promise.all([parts.timers?.stop(), closeServer(parts.server)]).then(() => 'drained' as const);
  const outcome = await Promise.race([drained, grace]);
  clearTimeout(graceTimer);
  if (outcome === 'timeout') {
    parts.log.write('warn', 'host.shutdown_forced', { afterMs: parts.graceMs });
    parts.server?.closeAllConnections();
  }
  await parts.azurite?.stop();
  return outcome === 'drained';
}
