import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findSecretLeaks } from './secret-scan';

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningHost {
  baseUrl: string;
  port: number;
  /** Process id of the host, e.g. to sample its memory from /proc. */
  pid: number;
  /** Everything the host printed so far (stdout and stderr), for diagnostics and log scans. */
  logs(): string;
  /** SIGTERM, then wait for the process to exit (SIGKILL after 15 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Settles when the process exits, however that happens. */
  exited: Promise<HostExit>;
}

export interface StartHostOptions {
  /** Added to this process's environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  readyTimeoutMs?: number;
}

const APP_ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(APP_ROOT, 'dist', 'devhost', 'main.js');
const LISTENING = /kv-jwt host listening on (http:\/\/\S+)/;
const STOP_TIMEOUT_MS = 15_000;

/** Every host's output, so a suite-wide test can scan all log lines for leaked secrets. */
export const allHostLogs: string[] = [];

// A test that fails before stop() must not leave a host running after the test process ends.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts the embedded host (`node dist/devhost/main.js`) as a real process on a free port (PORT=0)
 * (unless the caller sets PORT) and waits for its listening line. Storage defaults to the run's
 * shared Azurite (AZURITE_CONNECTION_STRING from the jest global setup) unless the caller sets
 * AzureWebJobsStorage; callers isolate LOCAL_KEYSTORE_DIR per test through `env`. If the host
 * exits or is not ready in time, the error carries its whole output. stop() also fails the test
 * when the host logged anything that looks like a secret.
 */
export async function startHost(options: StartHostOptions = {}): Promise<RunningHost> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first (npm test does).`);
  // AUTH_MODE is not inherited from the test process: a host decides it the way `npm start` does.
  const env: NodeJS.ProcessEnv = { ...process.env, AUTH_MODE: undefined, PORT: '0', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, ...options.env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, [ENTRY], { cwd: options.cwd ?? APP_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<HostExit>((resolveExit) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      resolveExit({ code, signal });
    });
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;

  const baseUrl = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The host did not start within ${readyTimeoutMs} ms. Output:\n${output}`));
    }, readyTimeoutMs);
    const check = (): void => {
      const match = LISTENING.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolveReady(match[1]);
    };
    child.stdout.on('data', check);
    child.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`The host could not be spawned (${error.name}).`));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`The host exited (code ${code}, signal ${signal}) before listening. Output:\n${output}`));
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    baseUrl,
    port: Number(new URL(baseUrl).port),
    pid: child.pid ?? 0,
    logs: () => output,
    exited,
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(kill);
        } else {
          await exited;
        }
        allHostLogs.push(output);
        // Every end-to-end test doubles as a log audit: no token, key or secret in any line.
        const leaks = findSecretLeaks(output);
        if (leaks.length > 0) throw new Error(`The host logged secrets:\n${leaks.join('\n')}`);
      })();
      return stopped;
    },
  };
}
