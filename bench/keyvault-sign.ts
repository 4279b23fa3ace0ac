/**
 * Key Vault sign/verify benchmark against the double (own process, fixed injected latency):
 * - local CPU per token: this process's CPU time (all threads) across the call, the work the
 *   service and the SDK do themselves, free of wake-up latency;
 * - local overhead per token = the token's wall time − the time its sign call spent in the vault
 *   (arrival to answer sent, as the double measured it: injected latency as actually slept, its
 *   RSA private-key operation, JSON), token by token, p50/p99/max — what this service and the SDK
 *   add on top of Key Vault, loopback transit included; also wall time − the nominal latency;
 * - Key Vault calls per 1,000 signs, per 1,000 local verifies and per 1,000 VERIFY_MODE=keyvault verifies.
 *
 * Run: npm run build && node dist/bench/keyvault-sign.js [--latency 20] [--tokens 1000]
 * The process re-runs itself with NODE_EXTRA_CA_CERTS pointing at the test CA when needed.
 */
import { spawnSync } from 'node:child_process';
import { systemClock } from '../src/clock';
import { loadConfig } from '../src/config/settings';
import { KeyRing } from '../src/keys/key-ring';
import { createKeyVaultKeyStore } from '../src/keys/keyvault/create-keyvault-key-store';
import { signToken } from '../src/jwt/sign';
import type { SignRules } from '../src/jwt/sign';
import { verifyToken } from '../src/jwt/verify';
import { createHash } from 'node:crypto';
import { KeyClient } from '@azure/keyvault-keys';
import { ManagedIdentityCredential } from '@azure/identity';
import { RemoteKeyVaultDouble } from '../tests/support/keyvault-double/remote';
import { rawSignCall, sdkSignCall, type SignCall } from './keyvault-baselines';
import { loadTestCaModule } from '../tests/support/keyvault-double/test-ca';

export interface KeyVaultBenchResult {
  latencyMs: number;
  tokens: number;
  signMsPerToken: { p50: number; p99: number; mean: number };
  overheadMs: { p50: number; p99: number; mean: number };
  /** Mean injected latency as the double actually slept it (timers overshoot the nominal value). */
  actualLatencyMs: { mean: number };
  /** Client-side cost: wall time − latency actually slept − the double's own service time. */
  overheadNetOfVaultMs: { mean: number };
  /** Per call, wall time − the time the call spent in the vault, for the service and its baselines (interleaved blocks). */
  localOverheadMs: Record<'rawHttps' | 'sdkSign' | 'signToken', Percentiles>;
  /** Per call, the CPU time this process spent (all threads, process.cpuUsage): the local work itself, without the waits. */
  localCpuMs: Record<'rawHttps' | 'sdkSign' | 'signToken', Percentiles>;
  concurrentSignsPerSecond: number;
  vaultCallsPer1000Signs: Record<string, number>;
  vaultCallsPer1000LocalVerifies: Record<string, number>;
  vaultCallsPer1000KeyVaultVerifies: Record<string, number>;
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (value: number): number => Math.round(value * 1000) / 1000;

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1]), mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length) };
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function per1000(delta: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(delta).filter(([, value]) => value !== 0).map(([key, value]) => [key, round((value * 1000) / n)]));
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - (before[key] ?? 0)]));
}

export async function runKeyVaultSignBench(latencyMs = 20, tokens = 1000): Promise<KeyVaultBenchResult> {
  const vault = await RemoteKeyVaultDouble.spawn();
  try {
    const env = vault.environment('bench-signing');
    process.env.IDENTITY_ENDPOINT = env.IDENTITY_ENDPOINT;
    process.env.IDENTITY_HEADER = env.IDENTITY_HEADER;
    const config = loadConfig({ ...env, AUTH_MODE: 'none', JWT_ISSUER: 'https://bench.example', JWT_AUDIENCES: 'api://bench' });
    const store = createKeyVaultKeyStore(config, systemClock);
    await store.createVersion({ notBefore: Math.floor(Date.now() / 1000) - 60 });
    const ring = new KeyRing(store, systemClock, { alg: config.alg, retentionSeconds: Math.floor(config.rotation.retentionMs / 1000), refreshIntervalMs: 10 * 60_000, unknownKidCooldownMs: 30_000 });
    const rules: SignRules = { issuer: config.issuer, audiences: config.audiences, allowedClaims: '*', maxClaimsBytes: config.limits.maxClaimsBytes, defaultTtlMs: config.defaultTtlMs, maxTtlMs: config.maxTtlMs };
    const deps = { ring, store, clock: systemClock };
    const claims = { sub: 'bench', aud: config.audiences[0] };
    for (let i = 0; i < 20; i += 1) await signToken({ claims, authorizedParty: 'bench' }, rules, deps); // warm: token, challenge, ring

    await vault.setFaults({ latencyMs });
    // Local overhead per call, in interleaved blocks (raw, SDK, service, raw, …) so the machine's
    // slow phases hit all three alike: wall time − the call's own time in the vault.
    const version = ring.signingCandidates()[0].version;
    const keyId = `${env.KEY_VAULT_URL}/keys/bench-signing/${version.kid}`;
    const credential = new ManagedIdentityCredential();
    const accessToken = (await credential.getToken('https://vault.azure.net/.default'))?.token ?? '';
    const digest = createHash('sha256').update('bench').digest();
    const issued: string[] = [];
    const candidates: Record<'rawHttps' | 'sdkSign' | 'signToken', SignCall> = {
      rawHttps: rawSignCall(keyId, accessToken, digest),
      sdkSign: sdkSignCall(await new KeyClient(env.KEY_VAULT_URL, credential, { disableChallengeResourceVerification: true }).getKey('bench-signing', { version: version.kid }), credential, digest),
      signToken: async () => issued.push((await signToken({ claims, authorizedParty: 'bench' }, rules, deps)).token),
    };
    for (const call of Object.values(candidates)) for (let i = 0; i < 10; i += 1) await call(); // warm each path
    const local: Record<keyof typeof candidates, number[]> = { rawHttps: [], sdkSign: [], signToken: [] };
    const cpu: Record<keyof typeof candidates, number[]> = { rawHttps: [], sdkSign: [], signToken: [] };
    const durations: number[] = [];
    let afterSigns = await vault.counters();
    const blocks = 10;
    for (let block = 0; block < blocks; block += 1) {
      for (const [name, call] of Object.entries(candidates) as Array<[keyof typeof candidates, SignCall]>) {
        await vault.resetCounters();
        const walls: number[] = [];
        for (let i = 0; i < tokens / blocks; i += 1) {
          const cpuBefore = process.cpuUsage();
          const started = performance.now();
          await call();
          walls.push(performance.now() - started);
          const used = process.cpuUsage(cpuBefore);
          cpu[name].push((used.user + used.system) / 1000);
        }
        const counters = await vault.counters();
        const inVault = counters.callMs.sign;
        if (inVault.length !== walls.length) throw new Error(`${name}: expected ${walls.length} sign calls in the vault, saw ${inVault.length}`);
        local[name].push(...walls.map((wall, i) => wall - inVault[i]));
        if (name === 'signToken') {
          durations.push(...walls);
          afterSigns = counters;
        }
      }
    }
    const sorted = [...durations].sort((a, b) => a - b);
    const mean = durations.reduce((sum, value) => sum + value, 0) / durations.length;
    const serviceMean = afterSigns.serviceMs.sign / Math.max(1, afterSigns.counts.sign);
    const waitedMean = afterSigns.waitedMs.sign / Math.max(1, afterSigns.counts.sign);
    await vault.resetCounters();
    for (let i = 0; i < 100; i += 1) await signToken({ claims, authorizedParty: 'bench' }, rules, deps);
    const callCounts = (await vault.counters()).counts;

    const concurrentStarted = performance.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let i = 0; i < tokens / 32; i += 1) await signToken({ claims, authorizedParty: 'bench' }, rules, deps);
    }));
    const concurrentSignsPerSecond = ((32 * Math.floor(tokens / 32)) / (performance.now() - concurrentStarted)) * 1000;

    const verifyOptions = { issuer: config.issuer, audiences: config.audiences, clockSkewSeconds: 60, maxTokenBytes: config.limits.maxTokenBytes };
    const revocations = { isRevoked: () => false };
    const beforeLocal = (await vault.counters()).counts;
    for (const token of issued) {
      const result = await verifyToken(token, verifyOptions, { ring, clock: systemClock, revocations });
      if (!result.active) throw new Error(`local verify failed: ${result.error}`);
    }
    const afterLocal = (await vault.counters()).counts;
    for (const token of issued) {
      const result = await verifyToken(token, verifyOptions, { ring, clock: systemClock, revocations, remoteVerify: (kid, alg, input, signature) => store.verify(kid, alg, input, signature) });
      if (!result.active) throw new Error(`keyvault verify failed: ${result.error}`);
    }
    const afterRemote = (await vault.counters()).counts;

    return {
      latencyMs,
      tokens,
      signMsPerToken: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), mean: round(mean) },
      overheadMs: { p50: round(percentile(sorted, 50) - latencyMs), p99: round(percentile(sorted, 99) - latencyMs), mean: round(mean - latencyMs) },
      actualLatencyMs: { mean: round(waitedMean) },
      overheadNetOfVaultMs: { mean: round(mean - waitedMean - serviceMean) },
      localOverheadMs: { rawHttps: percentiles(local.rawHttps), sdkSign: percentiles(local.sdkSign), signToken: percentiles(local.signToken) },
      localCpuMs: { rawHttps: percentiles(cpu.rawHttps), sdkSign: percentiles(cpu.sdkSign), signToken: percentiles(cpu.signToken) },
      concurrentSignsPerSecond: Math.round(concurrentSignsPerSecond),
      vaultCallsPer1000Signs: per1000(callCounts, 100),
      vaultCallsPer1000LocalVerifies: per1000(difference(afterLocal, beforeLocal), issued.length),
      vaultCallsPer1000KeyVaultVerifies: per1000(difference(afterRemote, afterLocal), issued.length),
    };
  } finally {
    await vault.stop();
  }
}

/** Node reads NODE_EXTRA_CA_CERTS only at start-up: re-run this script with the test CA trusted. */
export async function relaunchWithTestCa(): Promise<boolean> {
  const testCa = loadTestCaModule();
  await testCa.makeTestCa();
  if (testCa.isTestCaTrusted(process.env)) return false;
  const bundle = testCa.writeTrustBundle(process.env.NODE_EXTRA_CA_CERTS);
  const rerun = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle } });
  process.exitCode = rerun.status ?? 1;
  return true;
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;
const calls = (counts: Record<string, number>): string => Object.entries(counts).map(([name, n]) => `${n.toLocaleString('en-US')} \`${name}\``).join(', ') || '0';

/** The figures as Markdown tables (npm run bench, bench/RESULTS.md). */
export function markdown(result: KeyVaultBenchResult): string {
  const names: Array<[keyof KeyVaultBenchResult['localOverheadMs'], string]> = [
    ['rawHttps', 'bare node:https keep-alive POST of the sign request (the floor: one HTTPS round trip)'],
    ['sdkSign', 'the SDK alone: CryptographyClient.sign'],
    ['signToken', 'kv-jwt signToken (claims, digest, SDK sign with deadline and retries, JWS)'],
  ];
  const rows: Array<[string, Percentiles]> = names.map(([key, name]) => [name, result.localOverheadMs[key]]);
  const cpuRows: Array<[string, Percentiles]> = names.map(([key, name]) => [name, result.localCpuMs[key]]);
  return [
    `CPU time of this process per call (process.cpuUsage, all threads: the local work itself, without waiting for the vault or for this machine to wake), the same calls:`,
    '',
    '| client | p50 | p99 | max | mean |',
    '|---|---:|---:|---:|---:|',
    ...cpuRows.map(([name, p]) => `| ${name} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.max)} | ${ms(p.mean)} |`),
    '',
    `Local overhead per call = wall time − the call's own time in the vault (arrival to answer, measured by the double), ${result.tokens} calls each, interleaved blocks, ${result.latencyMs} ms injected latency:`,
    '',
    '| client | p50 | p99 | max | mean |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(([name, p]) => `| ${name} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.max)} | ${ms(p.mean)} |`),
    '',
    '| figure | value |',
    '|---|---:|',
    `| signToken wall time per token p50 / p99 | ${ms(result.signMsPerToken.p50)} / ${ms(result.signMsPerToken.p99)} |`,
    `| signToken wall time − nominal latency p50 / p99 | ${ms(result.overheadMs.p50)} / ${ms(result.overheadMs.p99)} |`,
    `| service beyond the SDK alone, p50 / mean | ${ms(result.localOverheadMs.signToken.p50 - result.localOverheadMs.sdkSign.p50)} / ${ms(result.localOverheadMs.signToken.mean - result.localOverheadMs.sdkSign.mean)} |`,
    `| Key Vault calls per 1,000 signs | ${calls(result.vaultCallsPer1000Signs)} |`,
    `| Key Vault calls per 1,000 local verifies | ${calls(result.vaultCallsPer1000LocalVerifies)} |`,
    `| Key Vault calls per 1,000 \`VERIFY_MODE=keyvault\` verifies | ${calls(result.vaultCallsPer1000KeyVaultVerifies)} |`,
    `| concurrent signs per second (32 in flight) | ${result.concurrentSignsPerSecond.toLocaleString('en-US')} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (await relaunchWithTestCa()) return;
  const result = await runKeyVaultSignBench(argument('--latency', 20), argument('--tokens', 1000));
  process.stdout.write(process.argv.includes('--markdown') ? `${markdown(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (error instanceof Error && error.cause instanceof Error) process.stderr.write(`cause: ${error.cause.message}\n`);
    process.exitCode = 1;
  });
}
