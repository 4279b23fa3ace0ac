import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findSecretLeaks } from './secret-scan';

export interface RunningHost {
  baseUrl: string;
  port: number;
  /** Everything the host printed so far (stdout and stderr), for diagnostics and log scans. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartHostOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  readyTimeoutMs?: number;
}

const APP_ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(APP_ROOT, 'dist', 'devhost', 'main.js');
const LISTENING = /kv-jwt host listening on (http:\/\/[^\s]+)/;

/** Every host's output, so a suite-wide test can scan all log lines for leaked secrets. */
export const allHostLogs: string[] = [];

/**
 * Starts the embedded host (`node dist/devhost/main.js`) as a real process on a free port and waits
 * for its listening line. Environment variables set to undefined are removed for the child.
 */
export async function startHost(options: StartHostOptions = {}): Promise<RunningHost> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first (npm test does).`);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, ...options.env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  const child: ChildProcess = spawn(process.execPath, [ENTRY], { cwd: options.cwd ?? APP_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const baseUrl = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The host did not start within ${options.readyTimeoutMs ?? 30_000} ms. Output:\n${output}`));
    }, options.readyTimeoutMs ?? 30_000);
    const check = (): void => {
      const match = LISTENING.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveReady(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The host exited with code ${code} before listening. Output:\n${output}`));
    });
  });

  return {
    baseUrl,
    port: Number(new URL(baseUrl).port),
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }
      allHostLogs.push(output);
      // Every end-to-end test doubles as a log audit: no token, key or secret in any line.
      const leaks = findSecretLeaks(output);
      if (leaks.length > 0) throw new Error(`The host logged secrets:\n${leaks.join('\n')}`);
    },
  };
}
