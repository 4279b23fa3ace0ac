/**
 * Sign throughput as Azure runs it: the registered `sign` handler (the worker's request and context objects, the
 * Key Vault key store on the real SDK, its retry policy) against the Key Vault double in its own process with a
 * realistic 20 ms latency, at 32, 128 and 512 requests in flight — tokens per second and Key Vault calls per token.
 * Then the vault's own service limit (4,000 RSA-2048 operations per 10 s per vault, 429 `Throttled` past it, as
 * Key Vault answers) with 512 in flight: what the caller gets past the limit (429 → the transport's bounded
 * retries → 503 with Retry-After), and that no request waits longer than the retry budget.
 *
 * Run: npm run build && node dist/bench/keyvault-throughput.js [--seconds 3] [--limit-seconds 15] [--markdown]
 * The process re-runs itself with NODE_EXTRA_CA_CERTS pointing at the test CA when needed.
 */
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { DEFAULT_RETRY_POLICY } from '../src/keys/keyvault/vault-transport';
import { RemoteKeyVaultDouble } from '../tests/support/keyvault-double/remote';
import { relaunchWithTestCa } from './keyvault-sign';

const LATENCY_MS = 20;
const IN_FLIGHT = [32, 128, 512];
const SERVICE_LIMIT = { operations: 4000, windowMs: 10_000 };

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

interface Outcome {
  status: number;
  retryAfter?: string;
  ms: number;
}

interface Run {
  inFlight: number;
  seconds: number;
  outcomes: Outcome[];
  signCalls: number;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function signOnce(handler: Handler, body: string): Promise<Outcome> {
  const started = performance.now();
  const request = new HttpRequest({ method: 'POST', url: 'http://127.0.0.1:7071/api/sign', headers: { host: '127.0.0.1:7071', 'content-type': 'application/json' }, body: { string: body } });
  const response = new HttpResponse(await handler(request, new InvocationContext({ functionName: 'sign', invocationId: 'bench', logHandler: () => undefined })));
  await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after') ?? undefined, ms: performance.now() - started };
}

/** `inFlight` callers, each signing again as soon as it has an answer, for `seconds` (started requests finish). */
async function load(handler: Handler, vault: RemoteKeyVaultDouble, inFlight: number, seconds: number, body: string): Promise<Run> {
  const before = (await vault.counters()).counts.sign;
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) outcomes.push(await signOnce(handler, body));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { inFlight, seconds: elapsed, outcomes, signCalls: (await vault.counters()).counts.sign - before };
}

export async function runThroughputBench(seconds: number, limitSeconds: number): Promise<{ unlimited: Run[]; limited: Run }> {
  const vault = await RemoteKeyVaultDouble.spawn();
  // The audit lines (console.log) would measure this terminal; outside a host the library warns that it skips registration.
  const { log, warn } = console;
  console.log = console.warn = (): void => undefined;
  try {
    Object.assign(process.env, vault.environment('bench-throughput'), { AUTH_MODE: 'none', KEY_VAULT_CREATE_KEY: 'true', JWT_AUDIENCES: 'api://bench', JWT_ISSUER: 'https://jwt.bench/api', AzureWebJobsStorage: '' });
    // Loaded after the settings: the function files read them at import, as in Azure.
    const { signHandler } = await import('../functions/sign');
    const body = JSON.stringify({ claims: { sub: 'bench', aud: 'api://bench' }, ttlSeconds: 600 });
    for (let i = 0; i < 50; i += 1) if ((await signOnce(signHandler, body)).status !== 200) throw new Error('warm-up sign failed');
    await vault.setFaults({ clear: true, latencyMs: LATENCY_MS });
    const unlimited: Run[] = [];
    for (const inFlight of IN_FLIGHT) unlimited.push(await load(signHandler, vault, inFlight, seconds, body));
    // A fresh window, then the limit: the first 4,000 go through at once, then 400 a second.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await vault.setFaults({ clear: true, latencyMs: LATENCY_MS, serviceLimit: SERVICE_LIMIT });
    const limited = await load(signHandler, vault, 512, limitSeconds, body);
    return { unlimited, limited };
  } finally {
    Object.assign(console, { log, warn });
    await vault.stop();
  }
}

function summary(run: Run): { ok: number; tokensPerSecond: number; callsPerToken: number; p50: number; p99: number; max: number } {
  const ok = run.outcomes.filter((o) => o.status === 200).length;
  const ms = run.outcomes.map((o) => o.ms);
  return { ok, tokensPerSecond: ok / run.seconds, callsPerToken: run.signCalls / Math.max(1, ok), p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
}

export function markdown({ unlimited, limited }: { unlimited: Run[]; limited: Run }): string {
  const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const lines = ['| in flight | tokens/s | Key Vault `sign` calls per token | latency p50 / p99 / max | answers |', '|---:|---:|---:|---:|---|'];
  for (const run of unlimited) {
    const s = summary(run);
    const other = run.outcomes.length - s.ok;
    lines.push(`| ${run.inFlight} | ${fmt(s.tokensPerSecond)} | ${fmt(s.callsPerToken, 3)} | ${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} ms | ${fmt(s.ok)} × 200${other ? `, ${fmt(other)} other` : ''} |`);
  }
  const s = summary(limited);
  const refused = limited.outcomes.filter((o) => o.status === 503);
  const withRetryAfter = refused.filter((o) => o.retryAfter !== undefined && Number(o.retryAfter) > 0).length;
  const other = limited.outcomes.length - s.ok - refused.length;
  const throttledCalls = limited.signCalls - s.ok;
  lines.push(
    '',
    `With the vault's service limit (${fmt(SERVICE_LIMIT.operations)} operations per ${SERVICE_LIMIT.windowMs / 1000} s, 429 \`Throttled\` past it), 512 in flight for ${fmt(limited.seconds, 1)} s:`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| tokens signed (200) | ${fmt(s.ok)} (${fmt(s.tokensPerSecond)} per second; the limit allows ${fmt(SERVICE_LIMIT.operations / (SERVICE_LIMIT.windowMs / 1000))} per second after the first window) |`,
    `| refused with 503 \`key_store_unavailable\` | ${fmt(refused.length)}, ${fmt(withRetryAfter)} of them with a Retry-After |`,
    `| other answers | ${fmt(other)} |`,
    `| Key Vault \`sign\` calls: accepted / answered 429 | ${fmt(s.ok)} / ${fmt(throttledCalls)} (≤ ${DEFAULT_RETRY_POLICY.maxAttempts} attempts per request) |`,
    `| latency p50 / p99 / max | ${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)} ms (retry budget ${fmt(DEFAULT_RETRY_POLICY.totalBudgetMs)} ms: no request hung) |`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (await relaunchWithTestCa()) return;
  const result = await runThroughputBench(argument('--seconds', 3), argument('--limit-seconds', 15));
  const text = process.argv.includes('--markdown') ? markdown(result) : JSON.stringify({ unlimited: result.unlimited.map(summary), limited: summary(result.limited) }, null, 2);
  process.stdout.write(`${text}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
