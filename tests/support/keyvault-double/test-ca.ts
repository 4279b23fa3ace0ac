/**
 * Access to the test CA generator, which is plain JavaScript in the source tree (it runs before any
 * build): found from here whether this code runs from tests/ (jest) or compiled under dist/.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface TestCaModule {
  makeTestCa(): Promise<{ caCert: string; serverCert: string; serverKey: string; trustBundle: string }>;
  writeTrustBundle(previous: string | undefined): string;
  isTestCaTrusted(env: NodeJS.ProcessEnv): boolean;
}

export function loadTestCaModule(): TestCaModule {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'tests', 'support', 'tls', 'make-test-ca.js');
    if (fs.existsSync(candidate) && !candidate.includes(`${path.sep}dist${path.sep}`)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(candidate) as TestCaModule;
    }
  }
  throw new Error('tests/support/tls/make-test-ca.js not found');
}
