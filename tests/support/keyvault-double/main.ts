/**
 * Runs the Key Vault double as its own process (compiled: node dist/tests/support/keyvault-double/main.js).
 * Prints one JSON line with its addresses, then serves until SIGTERM/SIGINT.
 * Options: --page-size N; --exit-with-parent (also stop when stdin closes).
 */
import { startKeyVaultDouble } from './index';
import { startControlServer } from './control-server';

async function main(): Promise<void> {
  const pageIndex = process.argv.indexOf('--page-size');
  const pageSize = pageIndex > 0 ? Number(process.argv[pageIndex + 1]) : undefined;
  const vault = await startKeyVaultDouble({ pageSize });
  const control = await startControlServer(vault);
  process.stdout.write(
    `${JSON.stringify({ vaultUrl: vault.vaultUrl, identityEndpoint: vault.identityEndpoint, identityHeader: vault.identityHeader, controlUrl: control.url })}\n`,
  );
  const stop = (): void => {
    Promise.all([vault.stop(), control.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.argv.includes('--exit-with-parent')) {
    // Started by a launcher over a pipe: when the launcher goes, so does the double.
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

/** This file's path, for launchers (importing it also makes the compiler emit it). */
export const DOUBLE_PROCESS_SCRIPT = __filename;

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
