'use strict';
/**
 * `npm test` launcher: creates the test CA, then runs jest with NODE_EXTRA_CA_CERTS pointing at it so
 * that the real Azure SDK (and every child process, such as the dev host) trusts the Key Vault
 * double's HTTPS certificate. A Node script rather than shell syntax so it works on Windows too.
 * Arguments are passed through to jest (`npm test -- tests/keys`).
 */
const { spawn } = require('node:child_process');
const { makeTestCa, writeTrustBundle } = require('./make-test-ca');

async function main() {
  await makeTestCa();
  const bundle = writeTrustBundle(process.env.NODE_EXTRA_CA_CERTS);
  const jestBin = require.resolve('jest/bin/jest');
  const child = spawn(process.execPath, [jestBin, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: bundle },
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
