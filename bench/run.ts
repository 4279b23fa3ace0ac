/**
 * `npm run bench`: every benchmark, each compared with a baseline measured in the same run.
 * Figures go to stdout as Markdown tables (bench/RESULTS.md keeps a dated copy).
 */
import { cpus } from 'node:os';
import { benchSign } from './sign';
import { benchVerify } from './verify';
import { benchRevocation } from './revocation';
import { benchBinding } from './binding';
import { benchRevocationScaling } from './revocation-scaling';
import { benchJwe } from './jwe';
import { benchHandlers } from './handlers';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

async function main(): Promise<void> {
  const only = process.argv[2];
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`# kv-jwt benchmarks — ${new Date().toISOString()}`);
  out(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  if (!only || only === 'verify') {
    for (const alg of ['RS256', 'PS256', 'ES256', 'HS256'] as const) {
      out(`\n## Verify ${alg} (in process)\n\n| implementation | ops/s | vs raw |\n|---|---:|---:|`);
      (await benchVerify(alg)).lines.forEach(out);
    }
  }
  if (!only || only === 'sign') {
    for (const alg of ['RS256', 'ES256'] as const) {
      out(`\n## Sign ${alg} (in process, embedded store)\n\n| implementation | ops/s | vs raw |\n|---|---:|---:|`);
      (await benchSign(alg)).forEach(out);
    }
  }
  if (!only || only === 'revocation') {
    out('\n## Verify RS256 with revocation on vs off\n\n| implementation | ops/s | vs off |\n|---|---:|---:|');
    (await benchRevocation()).forEach(out);
    out('\n## Keeping the revocation view current: Table Storage entities read per instance per second\n');
    out('| live revocation rows | before (whole table every second) | after (marker + changes, hourly full read) | |\n|---:|---:|---:|---|');
    (await benchRevocationScaling()).forEach(out);
  }
  if (!only || only === 'binding') {
    out('\n## Verify bound tokens (RS256 token; DPoP proofs ES256 from the dpop package)\n\n| implementation | ops/s | vs bearer |\n|---|---:|---:|');
    (await benchBinding()).forEach(out);
  }
  if (!only || only === 'jwe') {
    out('\n## Encrypted tokens: decrypt + verify vs plain verify (in process, embedded encryption key)\n\n| implementation | ops/s | vs plain |\n|---|---:|---:|');
    const jwe = await benchJwe();
    jwe.decrypt.forEach(out);
    out('\n## Encrypted tokens: the two refusals RFC 7516 §11.5 keeps alike (in process, unwrapping each time)\n\n| path | ops/s | vs bad tag |\n|---|---:|---:|');
    jwe.failures.forEach(out);
    out('\n## Encrypted tokens through the Key Vault double (20 ms injected latency)\n');
    const run = spawnSync(process.execPath, [join(__dirname, 'jwe-keyvault.js'), '--latency', '20', '--tokens', '200', '--markdown'], { encoding: 'utf8' });
    out((run.stdout ?? '').trim());
    if (run.status !== 0) throw new Error(`jwe keyvault bench failed: ${run.stderr ?? ''}`);
  }
  if (!only || only === 'handlers') {
    out('\n## The function handlers in process (the worker\'s own request, context and response objects; embedded store, RS256)\n');
    (await benchHandlers()).forEach(out);
  }
  if (!only || only === 'throughput') {
    out('\n## Sign throughput through the handler against the Key Vault double (20 ms latency; then its service limit)\n');
    const run = spawnSync(process.execPath, [join(__dirname, 'keyvault-throughput.js'), '--markdown'], { encoding: 'utf8' });
    out((run.stdout ?? '').trim());
    if (run.status !== 0) throw new Error(`throughput bench failed: ${run.stderr ?? ''}`);
  }
  if (!only || only === 'keyvault') {
    out('\n## Sign through the Key Vault double (20 ms injected latency)\n');
    // Its own process: it re-runs itself trusting the test CA of the Key Vault double.
    const run = spawnSync(process.execPath, [join(__dirname, 'keyvault-sign.js'), '--latency', '20', '--tokens', '500', '--markdown'], { encoding: 'utf8' });
    out((run.stdout ?? '').trim());
    if (run.status !== 0) throw new Error(`keyvault bench failed: ${run.stderr ?? ''}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
