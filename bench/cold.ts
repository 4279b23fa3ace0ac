/**
 * `npm run bench:cold`: cold start as a Flex Consumption instance pays it on every scale-out and idle
 * wake-up — process start → first successful verify — for the embedded host, which loads the same
 * bundle the deployment ships (package.json `main`, dist/app/functions.js), next to the floor measured
 * in the same run: a bare Node process that listens and does the same verify with node:crypto. Starts
 * alternate (host, bare, host, bare, …) so the machine's slow phases hit both alike; the storage
 * emulator is already running and the key already exists, as for a restarted instance. Then the
 * deployment package's size (scripts/package-app.mjs, as azd zips it).
 *
 * Run: npm run bench:cold [-- --starts 9]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../devhost/azurite';
import { APP_ROOT, BARE_SERVER, median, startProcess, stop } from './processes';

const ENTRY = join(APP_ROOT, 'dist', 'devhost', 'main.js');

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

/** One start: spawn → listening line → the first verify answered `active: true`. */
async function coldStart(name: string, args: string[], env: NodeJS.ProcessEnv, path: string, token: string): Promise<{ listening: number; firstVerify: number }> {
  const started = performance.now();
  const server = await startProcess(name, args, env, path);
  try {
    const answer = await postJson(server.url, { token });
    if (answer.active !== true) throw new Error(`${name}: the first verify was not active (${JSON.stringify(answer)})`);
    return { listening: server.listeningMs, firstVerify: performance.now() - started };
  } finally {
    await stop(server.child);
  }
}

const summary = (values: number[]): string => `${Math.round(median(values))} ms (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`;

async function main(): Promise<void> {
  const starts = argument('--starts', 9);
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-cold-bench-'));
  const azurite = await startAzurite({ blobPort: 10110, queuePort: 10111, tablePort: 10112 });
  const env = { PORT: '0', AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.bench/api', AzureWebJobsStorage: azurite.connectionString };
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  try {
    // The first start creates the key (and warms this process's fetch); the timed ones find it.
    const first = await startProcess('host', [ENTRY], env, '');
    const signed = await postJson(`${first.url}/api/sign`, { claims: { sub: 'bench', aud: 'api://orders' }, ttlSeconds: 3600 });
    const jwks = (await (await fetch(`${first.url}/api/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    await stop(first.child);
    const token = String(signed.token);
    const bareEnv = { BENCH_JWK: JSON.stringify(jwks.keys.find((key) => key.kid === signed.kid)) };

    const host: Array<{ listening: number; firstVerify: number }> = [];
    const bare: number[] = [];
    for (let i = 0; i < starts; i += 1) {
      host.push(await coldStart('host', [ENTRY], env, '/api/verify', token));
      bare.push((await coldStart('bare', ['-e', BARE_SERVER], bareEnv, '/verify', token)).firstVerify);
    }
    const ratios = host.map((h, i) => h.firstVerify / bare[i]);
    const packageLine = execFileSync(process.execPath, [join(APP_ROOT, 'scripts', 'package-app.mjs'), '--zip', join(dir, 'package.zip')], { cwd: APP_ROOT, encoding: 'utf8' }).trim();

    out(`\n## Cold start: process start → first successful verify (${starts} starts each, alternating; Azurite running, key created; ${new Date().toISOString()})\n`);
    out('| process | median (min–max) | vs the floor |\n|---|---:|---:|');
    out(`| bare Node: node:http + node:crypto verify (the floor) | ${summary(bare)} | 1.00× |`);
    out(`| kv-jwt: node dist/devhost/main.js (the deployed bundle) | ${summary(host.map((h) => h.firstVerify))} | ${(median(host.map((h) => h.firstVerify)) / median(bare)).toFixed(2)}× |`);
    out(`| kv-jwt: process start → listening line | ${summary(host.map((h) => h.listening))} | |`);
    out(`\nPer-pair ratios (host / floor): ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)}×`);
    out(`\nDeployment ${packageLine}`);
  } finally {
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
