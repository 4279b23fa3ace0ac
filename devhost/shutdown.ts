import type { Server } from 'node:http';
import type { HostLog } from './host-log';

export type Stoppable = { stop(): Promise<void> };

/**
 * Stops the host in order: no new timer runs or connections; in-flight requests and runs get `graceMs`
 * (then their connections are cut); then Azurite, which saves what they wrote. True if all drained in time.
 */
export async function shutDown({ server, timers, azurite, graceMs, log }: { server?: Server; timers?: Stoppable; azurite?: Stoppable; graceMs: number; log: HostLog }): Promise<boolean> {
  // close() resolves once in-flight requests are answered; idle keep-alive sockets would hold it open.
  const closed = server?.listening ? new Promise((resolve) => server.close(resolve).closeIdleConnections()) : undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.all([timers?.stop(), closed]).then(() => true),
    new Promise<false>((resolve) => (graceTimer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(graceTimer);
  if (!drained) {
    log.write('warn', 'host.shutdown_forced', { afterMs: graceMs });
    server?.closeAllConnections();
  }
  await azurite?.stop();
  return drained;
}

/**
 * Ctrl-C (SIGINT, sent to a terminal's whole process group), SIGTERM and SIGHUP run `stop` once, then
 * exit 0 (1 if it failed). Repeats are ignored, not left to kill the host half-way through its stop.
 */
export function stopOnSignals(stop: (signal: NodeJS.Signals) => Promise<unknown>): void {
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => void (stopping ??= stop(signal).then(() => process.exit(0), () => process.exit(1)));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}
