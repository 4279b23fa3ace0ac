/**
 * Encrypted tokens against the Key Vault double (own process, fixed injected latency): Key Vault
 * calls per 1,000 encrypting signs, per 1,000 first verifies of distinct JWEs (one unwrapKey each)
 * and per 1,000 repeats (none: the content key is cached), with the wall time of each kind of verify.
 *
 * Run: npm run build && node dist/bench/jwe-keyvault.js [--latency 20] [--tokens 200] [--markdown]
 * The process re-runs itself with NODE_EXTRA_CA_CERTS pointing at the test CA when needed.
 */
import { spawnSync } from 'node:child_process';
import { systemClock } from '../src/clock';
import { loadConfig } from '../src/config/settings';
import { AudienceKeys } from '../src/jwe/audience-keys';
import { ContentKeyCache } from '../src/jwe/content-key-cache';
import { createTokenEncryption } from '../src/jwe/token-encryption';
import { signToken, type SignRules } from '../src/jwt/sign';
import { verifyToken } from '../src/jwt/verify';
import { EncryptionKeyRing } from '../src/keys/encryption-ring';
import { KeyRing } from '../src/keys/key-ring';
import { openKeyVaultEncryptionKeyStore, openKeyVaultKeyStore } from '../src/keys/keyvault/create-keyvault-key-store';
import { RemoteKeyVaultDouble } from '../tests/support/keyvault-double/remote';
import { loadTestCaModule } from '../tests/support/keyvault-double/test-ca';

export interface JweKeyVaultResult {
  latencyMs: number;
  tokens: number;
  callsPer1000: { encryptingSigns: Record<string, number>; firstVerifies: Record<string, number>; repeatVerifies: Record<string, number> };
  verifyMs: { first: { p50: number; mean: number }; repeat: { p50: number; mean: number } };
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
function per1000(after: Record<string, number>, before: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - (before[key] ?? 0)]).filter(([, delta]) => delta !== 0).map(([key, delta]) => [key, round((Number(delta) * 1000) / n)]));
}
function timing(walls: number[]): { p50: number; mean: number } {
  const sorted = [...walls].sort((a, b) => a - b);
  return { p50: round(sorted[Math.floor(sorted.length / 2)]), mean: round(walls.reduce((sum, v) => sum + v, 0) / walls.length) };
}

export async function runJweKeyVaultBench(latencyMs = 20, tokens = 200): Promise<JweKeyVaultResult> {
  const vault = await RemoteKeyVaultDouble.spawn();
  try {
    const env = vault.environment('bench-jwe');
    process.env.IDENTITY_ENDPOINT = env.IDENTITY_ENDPOINT;
    process.env.IDENTITY_HEADER = env.IDENTITY_HEADER;
    const config = loadConfig({ ...env, KEY_VAULT_CREATE_KEY: 'true', AUTH_MODE: 'none', JWT_ISSUER: 'https://bench.example', JWT_AUDIENCES: 'api://bench' });
    const [store, encryptionStore] = await Promise.all([openKeyVaultKeyStore(config, systemClock), openKeyVaultEncryptionKeyStore(config, systemClock)]);
    const ring = new KeyRing(store, systemClock, config.ring);
    const encryptionRing = new EncryptionKeyRing(encryptionStore, systemClock, config.encryption.ring);
    await Promise.all([ring.ready(), encryptionRing.ready()]);
    const encryption = createTokenEncryption({
      ring: encryptionRing,
      store: encryptionStore,
      cache: new ContentKeyCache(systemClock, { maxEntries: 10_000, maxAgeMs: config.maxTtlMs }),
      clock: systemClock,
      audienceKeys: new AudienceKeys(new Map(), systemClock),
      maxTokenBytes: config.limits.maxTokenBytes,
      clockSkewSeconds: 60,
    });
    const rules: SignRules = { issuer: config.issuer, audiences: config.audiences, allowedClaims: '*', maxClaimsBytes: config.limits.maxClaimsBytes, defaultTtlMs: config.defaultTtlMs, maxTtlMs: config.maxTtlMs };
    const permissions = { operations: ['sign' as const], audiences: config.audiences, verifyAudiences: config.audiences, claims: ['*'] };
    const claims = { sub: 'bench', aud: config.audiences[0] };
    const issue = async (): Promise<string> => {
      const sealing = await encryption.plan({ encrypt: true, claims }, permissions);
      const signed = await signToken({ claims, authorizedParty: 'bench' }, rules, { ring, store, clock: systemClock });
      return (await (sealing as NonNullable<typeof sealing>).seal(signed)).token;
    };
    const verifyDeps = { ring, clock: systemClock, revocations: { isRevoked: () => false } };
    const verifyOptions = { issuer: config.issuer, audiences: config.audiences, clockSkewSeconds: 60, maxTokenBytes: config.limits.maxTokenBytes };
    const verify = async (token: string): Promise<number> => {
      const started = performance.now();
      const opened = await encryption.open(token);
      const result = opened.active === false ? opened : await verifyToken(opened.token, verifyOptions, verifyDeps);
      if (!result.active) throw new Error(`bench JWE did not verify: ${result.error}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 5; i += 1) await verify(await issue()); // warm: token, challenge, clients

    await vault.setFaults({ latencyMs });
    const start = (await vault.counters()).counts;
    const issued: string[] = [];
    for (let i = 0; i < tokens; i += 1) issued.push(await issue());
    const signed = (await vault.counters()).counts;
    const first: number[] = [];
    for (const token of issued) first.push(await verify(token));
    const verifiedOnce = (await vault.counters()).counts;
    const repeat: number[] = [];
    for (const token of issued) repeat.push(await verify(token));
    const verifiedTwice = (await vault.counters()).counts;
    return {
      latencyMs,
      tokens,
      callsPer1000: {
        encryptingSigns: per1000(signed, start, tokens),
        firstVerifies: per1000(verifiedOnce, signed, tokens),
        repeatVerifies: per1000(verifiedTwice, verifiedOnce, tokens),
      },
      verifyMs: { first: timing(first), repeat: timing(repeat) },
    };
  } finally {
    await vault.stop();
  }
}

async function relaunchWithTestCa(): Promise<boolean> {
  const testCa = loadTestCaModule();
  await testCa.makeTestCa();
  if (testCa.isTestCaTrusted(process.env)) return false;
  const rerun = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: testCa.writeTrustBundle(process.env.NODE_EXTRA_CA_CERTS) } });
  process.exitCode = rerun.status ?? 1;
  return true;
}

const calls = (counts: Record<string, number>): string => Object.entries(counts).map(([name, n]) => `${n.toLocaleString('en-US')} \`${name}\``).join(', ') || '0';

export function markdown(result: JweKeyVaultResult): string {
  return [
    `${result.tokens} distinct encrypted tokens, each verified twice, ${result.latencyMs} ms injected latency per Key Vault call:`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| Key Vault calls per 1,000 encrypting signs (\`"encrypt": true\`) | ${calls(result.callsPer1000.encryptingSigns)} |`,
    `| Key Vault calls per 1,000 first verifies of distinct JWEs | ${calls(result.callsPer1000.firstVerifies)} |`,
    `| Key Vault calls per 1,000 repeat verifies | ${calls(result.callsPer1000.repeatVerifies)} |`,
    `| verify wall time, first (unwrapKey) p50 / mean | ${result.verifyMs.first.p50.toFixed(2)} ms / ${result.verifyMs.first.mean.toFixed(2)} ms |`,
    `| verify wall time, repeat (content key cached) p50 / mean | ${result.verifyMs.repeat.p50.toFixed(2)} ms / ${result.verifyMs.repeat.mean.toFixed(2)} ms |`,
  ].join('\n');
}

async function main(): Promise<void> {
  if (await relaunchWithTestCa()) return;
  const result = await runJweKeyVaultBench(argument('--latency', 20), argument('--tokens', 200));
  process.stdout.write(process.argv.includes('--markdown') ? `${markdown(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
