/**
 * Over HTTP, in one run: /api/verify on the embedded host vs a bare node:http server doing raw
 * crypto.verify on the same token, both driven by autocannon with the same connections and
 * duration; and cold start: process start → listening → first successful verify.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startAzurite } from '../devhost/azurite';

const APP_ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(APP_ROOT, 'dist', 'devhost', 'main.js');

interface Host {
  child: ChildProcess;
  baseUrl: string;
  listeningMs: number;
}

function startHostProcess(env: NodeJS.ProcessEnv): Promise<Host> {
  const started = performance.now();
  const child = spawn(process.execPath, [ENTRY], { cwd: APP_ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveHost, reject) => {
    let output = '';
    let listening = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (listening) return; // drained, not kept: the host logs one line per request
      output += chunk.toString();
      const match = /kv-jwt host listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        listening = true;
        resolveHost({ child, baseUrl: match[1], listeningMs: performance.now() - started });
      }
    });
    child.once('exit', (code) => reject(new Error(`host exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.kill('SIGTERM');
  });
}

async function cannon(url: string, body: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 16, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * A bare server doing only what is unavoidable: read the body, split the token, crypto.verify. It
 * runs in its own process, like the host, so both pay the same loopback and scheduling costs.
 */
const BARE_SERVER = `
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
  server.listen(0, '127.0.0.1', () => process.stdout.write('kv-jwt host listening on http://127.0.0.1:' + server.address().port + '\\n'));
`;

function bareServer(jwk: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER], { env: { ...process.env, BENCH_JWK: JSON.stringify(jwk) }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveServer, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolveServer({ child, url: `${match[1]}/verify` });
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? '8');
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-http-bench-'));
  const azurite = await startAzurite({ blobPort: 10100, queuePort: 10101, tablePort: 10102 });
  const env = { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.bench/api', AzureWebJobsStorage: azurite.connectionString };
  try {
    // First start creates the key; cold starts below find it, as a restarted instance does.
    let host = await startHostProcess(env);
    const signed = (await (await fetch(`${host.baseUrl}/api/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: { sub: 'bench', aud: 'api://orders' }, ttlSeconds: 3600 }) })).json()) as { token: string; kid: string };
    const jwks = (await (await fetch(`${host.baseUrl}/api/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys.find((k) => k.kid === signed.kid) as Record<string, string>;
    await stop(host.child);

    const cold: Array<{ listening: number; firstVerify: number }> = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      host = await startHostProcess(env);
      const answer = (await (await fetch(`${host.baseUrl}/api/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: signed.token }) })).json()) as { active: boolean };
      if (!answer.active) throw new Error('cold start verify failed');
      cold.push({ listening: host.listeningMs, firstVerify: performance.now() - started });
      if (i < 4) await stop(host.child);
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

    const bare = await bareServer(jwk);
    const bareUrl = bare.url;
    const body = JSON.stringify({ token: signed.token });
    await cannon(bareUrl, body, 2); // warm-up
    await cannon(`${host.baseUrl}/api/verify`, body, 2);
    const rawRps = await cannon(bareUrl, body, seconds);
    const ourRps = await cannon(`${host.baseUrl}/api/verify`, body, seconds);
    await stop(bare.child);
    await stop(host.child);

    process.stdout.write(`\n## Over HTTP (autocannon, 16 connections, ${seconds} s each, same run)\n\n| server | req/s | vs bare |\n|---|---:|---:|\n`);
    process.stdout.write(`| bare node:http + raw crypto.verify (RS256), own process | ${Math.round(rawRps).toLocaleString('en-US')} | 1.00× |\n`);
    process.stdout.write(`| kv-jwt embedded host, POST /api/verify | ${Math.round(ourRps).toLocaleString('en-US')} | ${(ourRps / rawRps).toFixed(2)}× |\n`);
    process.stdout.write(`\n## Cold start (median of 5)\n\n| process start → listening | process start → first successful verify |\n|---:|---:|\n| ${Math.round(median(cold.map((c) => c.listening)))} ms | ${Math.round(median(cold.map((c) => c.firstVerify)))} ms |\n`);
  } finally {
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
