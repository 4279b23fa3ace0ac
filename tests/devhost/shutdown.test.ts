import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HostLog } from '../../devhost/host-log';
import { shutDown, type Stoppable } from '../../devhost/shutdown';

/** SIGINT/SIGTERM handling of the embedded host, over a real server and real sockets. */
function recorder(): { stoppable: Stoppable; stopped: () => boolean } {
  let stopped = false;
  return {
    stoppable: {
      stop: async () => {
        await new Promise((resolveLater) => setTimeout(resolveLater, 20));
        stopped = true;
      },
    },
    stopped: () => stopped,
  };
}

async function serve(delayMs: number | 'never'): Promise<{ server: Server; url: string; started: Promise<void> }> {
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolveStarted) => (markStarted = resolveStarted));
  const server = createServer((_request, response) => {
    markStarted();
    if (delayMs !== 'never') setTimeout(() => response.end('done'), delayMs);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, started };
}

describe('host shutdown', () => {
  it('lets an in-flight request finish, stops timers, closes the server, then stops Azurite', async () => {
    const { server, url, started } = await serve(300);
    const timers = recorder();
    const azurite = recorder();
    const answer = fetch(url).then(async (response) => response.text());
    await started;
    const lines: string[] = [];
    const drained = await shutDown({ server, timers: timers.stoppable, azurite: azurite.stoppable, graceMs: 10_000, log: new HostLog((_level, line) => lines.push(line)) });
    expect(drained).toBe(true);
    expect(await answer).toBe('done');
    expect(server.listening).toBe(false);
    expect([timers.stopped(), azurite.stopped()]).toEqual([true, true]);
    expect(lines).toEqual([]);
  });

  it('cuts connections that outlast the grace period, says so, and still stops Azurite', async () => {
    const { server, url, started } = await serve('never');
    const azurite = recorder();
    const answer = fetch(url).then(
      () => 'answered',
      () => 'cut',
    );
    await started;
    const lines: string[] = [];
    const drained = await shutDown({ server, azurite: azurite.stoppable, graceMs: 200, log: new HostLog((_level, line) => lines.push(line)) });
    expect(drained).toBe(false);
    expect(await answer).toBe('cut');
    expect(azurite.stopped()).toBe(true);
    expect(lines.some((line) => line.includes('"host.shutdown_forced"'))).toBe(true);
  });

  it('copes with a host that never got as far as listening', async () => {
    await expect(shutDown({ graceMs: 100, log: new HostLog(() => undefined) })).resolves.toBe(true);
  });
});
