/**
 * What one invocation costs in the Functions worker's process, without any HTTP: the registered `verify` and
 * `sign` handlers called with the @azure/functions `HttpRequest` and `InvocationContext` the worker builds per
 * call, the result read back through the library's `HttpResponse` as the worker converts it — next to raw
 * node:crypto on the same token or signing input, and next to the library's own objects alone (what any
 * Functions app pays per call), measured in the same interleaved rounds. Embedded key store (RS256),
 * AUTH_MODE=none, the revocation view loaded from a table on Azurite (it fails closed without one) and
 * then read in memory, as in Azure: the handlers' own path, not the store's.
 *
 * Run: npm run build && node dist/bench/handlers.js   (part of npm run bench)
 */
import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { measureAll, type Measurement } from './measure';
import { startAzuriteOnFreePorts } from './processes';

const AUDIENCE = 'api://orders';
/** More than the verified-token cache keeps (10,000), so each of them is a miss. */
const DISTINCT_TOKENS = 12_000;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const request = (route: string, body: string): HttpRequest =>
  new HttpRequest({ method: 'POST', url: `http://127.0.0.1:7071/api/${route}`, headers: { host: '127.0.0.1:7071', 'content-type': 'application/json' }, body: { string: body } });
const context = (functionName: string): InvocationContext => new InvocationContext({ functionName, invocationId: 'bench', logHandler: () => undefined });

/** One invocation as the worker makes it: its request and context objects in, its response object out and read. */
async function invoke(handler: Handler, route: string, body: string): Promise<string> {
  const result = await handler(request(route, body), context(route));
  const response = new HttpResponse(result);
  if (response.status !== 200) throw new Error(`${route} answered ${response.status}: ${await response.text()}`);
  return response.text();
}

/** The library's objects alone, with the same body: what the worker spends on a call before and after any app code. */
async function libraryOnly(route: string, body: string): Promise<string> {
  const incoming = request(route, body);
  context(route);
  return new HttpResponse({ status: 200, body: await incoming.text(), headers: { 'content-type': 'application/json' } }).text();
}

export async function benchHandlers(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-handler-bench-'));
  const azurite = await startAzuriteOnFreePorts();
  const saved = { ...process.env };
  Object.assign(process.env, { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: AUDIENCE, JWT_ISSUER: 'https://jwt.bench/api', AzureWebJobsStorage: azurite.connectionString, JWT_ALG: 'RS256' });
  // The audit lines (console.log) would measure this terminal; outside a host the library warns that it skips registration.
  const { log, warn } = console;
  console.log = console.warn = (): void => undefined;
  let reset: (() => Promise<void>) | undefined;
  try {
    // Loaded after the settings: the function files read them at import, as in Azure.
    const [{ verifyHandler }, { signHandler }, { getServices, resetServices }] = await Promise.all([import('../functions/verify'), import('../functions/sign'), import('../src/app/services')]);
    reset = resetServices;
    const signBody = JSON.stringify({ claims: { sub: 'bench', aud: AUDIENCE }, ttlSeconds: 3600 });
    const tokens: string[] = [];
    for (let i = 0; i < DISTINCT_TOKENS; i += 1) tokens.push((JSON.parse(await invoke(signHandler, 'sign', signBody)) as { token: string }).token);
    const token = tokens[0];
    const verifyBody = JSON.stringify({ token });
    const bodies = tokens.map((t) => JSON.stringify({ token: t }));
    const services = await getServices();
    const ringKey = services.ring.signingCandidates()[0];
    const publicKey = ringKey.key;
    const dot = token.lastIndexOf('.');
    const signingInput = Buffer.from(token.slice(0, dot));
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    // The store keeps its private key to itself; signing costs the same with any RSA-2048 key.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let next = 0;
    const results = await measureAll(
      [
        { name: 'raw crypto.verify (RS256)', run: () => cryptoVerify('sha256', signingInput, publicKey, signature) },
        { name: '@azure/functions request, context and response objects alone (no app code)', run: () => libraryOnly('verify', verifyBody) },
        { name: 'verify handler, the same token again (verified-token cache hit)', run: () => invoke(verifyHandler, 'verify', verifyBody) },
        { name: `verify handler, ${DISTINCT_TOKENS.toLocaleString('en-US')} distinct tokens in turn (every one a miss)`, run: () => invoke(verifyHandler, 'verify', bodies[(next = (next + 1) % DISTINCT_TOKENS)]) },
        { name: 'raw crypto.sign (RS256)', run: () => cryptoSign('sha256', signingInput, privateKey) },
        { name: 'sign handler, embedded store (RS256)', run: () => invoke(signHandler, 'sign', signBody) },
      ],
      { rounds: 7, roundMs: 300 },
    );
    const [rawVerify, library, hit, miss, rawSign, sign] = results;
    const line = (m: Measurement, baseline: Measurement): string =>
      `| ${m.name} | ${Math.round(m.opsPerSecond).toLocaleString('en-US')} | ${(1e6 / m.opsPerSecond).toFixed(1)} µs | ${(m.opsPerSecond / baseline.opsPerSecond).toFixed(2)}× |`;
    return [
      '| invocation | ops/s | per call | vs raw |',
      '|---|---:|---:|---:|',
      ...[rawVerify, library, hit, miss].map((m) => line(m, rawVerify)),
      ...[rawSign, sign].map((m) => line(m, rawSign)),
      '',
      `What the project adds to a verify beyond the library's own objects: ${(1e6 / hit.opsPerSecond - 1e6 / library.opsPerSecond).toFixed(1)} µs on a cache hit, ${(1e6 / miss.opsPerSecond - 1e6 / library.opsPerSecond - 1e6 / rawVerify.opsPerSecond).toFixed(1)} µs on a miss besides the signature check itself.`,
    ];
  } finally {
    await reset?.(); // the revocation view polls its table until closed
    Object.assign(console, { log, warn });
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchHandlers()
    .then((lines) => process.stdout.write(`${lines.join('\n')}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}
