/**
 * `npm run fuzz`: the fuzz properties of tests/security with 100,000 cases each (FUZZ_RUNS to
 * change it). Exits non-zero with fast-check's counterexample on the first failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSign, checkVerify, makeFuzzSubject } from '../tests/security/fuzz-properties';

async function main(): Promise<void> {
  const runs = Number(process.env.FUZZ_RUNS ?? '100000');
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-fuzz-'));
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection: ${String(reason)}\n`);
    process.exit(1);
  });
  try {
    const subject = await makeFuzzSubject(dir);
    let started = Date.now();
    await checkVerify(subject, runs);
    process.stdout.write(`verify: ${runs} cases, 0 accepted forgeries, 0 exceptions (${Date.now() - started} ms)\n`);
    started = Date.now();
    await checkSign(subject, Math.max(1000, Math.floor(runs / 10)));
    process.stdout.write(`sign: ${Math.max(1000, Math.floor(runs / 10))} cases, every refusal a 4xx, every token verifies (${Date.now() - started} ms)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
