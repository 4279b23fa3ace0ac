/**
 * Over HTTP, in one run: /api/verify on the embedded host vs a bare node:http server doing raw
 * crypto.verify on the same token, both driven by autocannon with the same connections and round
 * length, in interleaved rounds (bare, host, bare, host, …) so that the machine's slow phases hit
 * both alike; the ratio is the median of the per-round ratios. Each server's CPU time per request
 * (all its threads, from /proc) is reported too. Then cold start: process start → listening →
 * first successful verify.
 *
 * Run: npm run bench:http [-- --rounds 15 --seconds 2 --cold 9]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startAzurite } from '../devhost/azurite';
import { APP_ROOT, BARE_SERVER, median, startProcess, stop, type Server } from './processes';

const ENTRY = join(APP_ROOT, 'dist', 'devhost', 'main.js');
const CONNECTIONS = 16;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/** CPU time of a process, all threads, in microseconds (utime + stime from /proc, 10 ms ticks). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function round(server: Server, body: string, seconds: number): Promise<{ rps: number; cpuUsPerRequest: number }> {
  const before = cpuMicros(server.child.pid ?? 0);
  const result = await autocannon({ url: server.url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: seconds });
  const cpu = cpuMicros(server.child.pid ?? 0) - before;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpuUsPerRequest: cpu / result.requests.total };
}

async function main(): Promise<void> {
  const rounds = argument('--rounds', 15);
  const seconds = argument('--seconds', 2);
  const coldStarts = argument('--cold', 9);
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-http-bench-'));
  const azurite = await startAzurite({ blobPort: 10100, queuePort: 10101, tablePort: 10102 });
  const env = { PORT: '0', AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.bench/api', AzureWebJobsStorage: azurite.connectionString };
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  try {
    // First start creates the key; cold starts below find it, as a restarted instance does.
    let host = await startProcess('host', [ENTRY], env, '/api/verify');
    const base = host.url.replace(/\/api\/verify$/, '');
    const signed = (await (await fetch(`${base}/api/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: { sub: 'bench', aud: 'api://orders' }, ttlSeconds: 3600 }) })).json()) as { token: string; kid: string };
    const jwks = (await (await fetch(`${base}/api/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys.find((k) => k.kid === signed.kid) as Record<string, string>;
    await stop(host.child);

    const cold: Array<{ listening: number; firstVerify: number }> = [];
    for (let i = 0; i < coldStarts; i += 1) {
      const started = performance.now();
      host = await startProcess('host', [ENTRY], env, '/api/verify');
      const answer = (await (await fetch(host.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: signed.token }) })).json()) as { active: boolean };
      if (!answer.active) throw new Error('cold start verify failed');
      cold.push({ listening: host.listeningMs, firstVerify: performance.now() - started });
      if (i < coldStarts - 1) await stop(host.child);
    }

    const body = JSON.stringify({ token: signed.token });
    // The floor for a cold start: a Node process that only listens and verifies.
    const bareCold: number[] = [];
    for (let i = 0; i < coldStarts; i += 1) {
      const started = performance.now();
      const server = await startProcess('bare', ['-e', BARE_SERVER], { BENCH_JWK: JSON.stringify(jwk) }, '/verify');
      const answer = (await (await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as { active: boolean };
      if (!answer.active) throw new Error('bare cold start verify failed');
      bareCold.push(performance.now() - started);
      await stop(server.child);
    }

    const bare = await startProcess('bare', ['-e', BARE_SERVER], { BENCH_JWK: JSON.stringify(jwk) }, '/verify');
    await round(bare, body, 2); // warm-up: JIT, connections
    await round(host, body, 2);
    const bareRounds: Array<{ rps: number; cpuUsPerRequest: number }> = [];
    const hostRounds: Array<{ rps: number; cpuUsPerRequest: number }> = [];
    for (let i = 0; i < rounds; i += 1) {
      bareRounds.push(await round(bare, body, seconds));
      hostRounds.push(await round(host, body, seconds));
    }
    await stop(bare.child);
    await stop(host.child);

    const ratios = hostRounds.map((r, i) => r.rps / bareRounds[i].rps);
    const cpuRatios = hostRounds.map((r, i) => bareRounds[i].cpuUsPerRequest / r.cpuUsPerRequest);
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    out(`\n## Over HTTP (autocannon, ${CONNECTIONS} connections, ${rounds} interleaved rounds of ${seconds} s each, same run)\n`);
    out('| server | req/s (median round) | CPU per request (median) | vs bare: req/s (median of round ratios) | vs bare: CPU per request |');
    out('|---|---:|---:|---:|---:|');
    out(`| bare node:http + raw crypto.verify (RS256), own process | ${fmt(median(bareRounds.map((r) => r.rps)))} | ${median(bareRounds.map((r) => r.cpuUsPerRequest)).toFixed(1)} µs | 1.00× | 1.00× |`);
    out(`| kv-jwt embedded host, POST /api/verify | ${fmt(median(hostRounds.map((r) => r.rps)))} | ${median(hostRounds.map((r) => r.cpuUsPerRequest)).toFixed(1)} µs | ${median(ratios).toFixed(2)}× | ${median(cpuRatios).toFixed(2)}× |`);
    out(`\nPer-round req/s ratios: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    const listening = cold.map((c) => c.listening);
    const firstVerify = cold.map((c) => c.firstVerify);
    out(`\n## Cold start (${coldStarts} starts, existing key, Azurite running)\n`);
    out('| | median | min | max |\n|---|---:|---:|---:|');
    out(`| process start → listening | ${Math.round(median(listening))} ms | ${Math.round(Math.min(...listening))} ms | ${Math.round(Math.max(...listening))} ms |`);
    out(`| process start → first successful verify | ${Math.round(median(firstVerify))} ms | ${Math.round(Math.min(...firstVerify))} ms | ${Math.round(Math.max(...firstVerify))} ms |`);
    out(`| bare server: process start → first successful verify (the floor) | ${Math.round(median(bareCold))} ms | ${Math.round(Math.min(...bareCold))} ms | ${Math.round(Math.max(...bareCold))} ms |`);
  } finally {
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
