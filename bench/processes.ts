/**
 * Processes for the benchmarks: the embedded host and a bare node:http server, each started as its
 * own process and timed from spawn to its listening line; Azurite on ports nobody else holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { startAzurite, type AzuriteHandle } from '../devhost/azurite';

export const APP_ROOT = resolve(__dirname, '..', '..');

export interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  listeningMs: number;
}

/** Starts a process and resolves once it prints its listening line; its later output is drained, not kept. */
export function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, path: string): Promise<Server> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: APP_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveServer, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolveServer({ name, child, url: `${match[1]}${path}`, listeningMs: performance.now() - started });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.kill('SIGTERM');
  });
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * A bare server doing only what is unavoidable: read the body, split the token, crypto.verify. It
 * runs in its own process, like the host, so both pay the same loopback and scheduling costs.
 */
export const BARE_SERVER = `
  const { createServer } = require('node:http');
  const { createPublicKey, verify } = require('node:crypto');
  const key = createPublicKey({ key: JSON.parse(process.env.BENCH_JWK), format: 'jwk' });
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const token = JSON.parse(body).token;
      const dot = token.lastIndexOf('.');
      const ok = verify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ active: ok }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write('bare listening on http://127.0.0.1:' + server.address().port + '\\n'));
`;


async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListening) => server.listen(0, '127.0.0.1', () => resolveListening()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolveClosed) => server.close(() => resolveClosed()));
  return port;
}

/** The storage emulator on free ports: other runs share this machine. */
export async function startAzuriteOnFreePorts(): Promise<AzuriteHandle> {
  return startAzurite({ blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() });
}
