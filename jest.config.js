/**
 * Two projects: `fast` (everything that does not wait on the wall clock) and `real-time`: suites that
 * wait for real seconds (rotation in real time, the Key Vault fault soak, the timer scheduler's
 * every-second schedules, the hardening suite's ring-refresh bound) or replay long simulated streams
 * (two years of rotation, 60 days of encryption-key rotation, the 100,000-operation cache differential).
 * `npm test` runs both; `npm run test:fast` runs the first.
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
    // The `dpop` client library (tests only) ships ES modules alone; Jest on Node 20 can not require
    // them, so its files are compiled to CommonJS like ours.
    '/node_modules/dpop/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!dpop/)'],
  setupFiles: ['<rootDir>/tests/support/local-developer-env.ts'],
};

/** Paths (regular expressions) of the real-time suites. */
const REAL_TIME = [
  '/tests/e2e/rotation-[^/]*\\.test\\.ts$',
  '/tests/reliability/.*\\.test\\.ts$',
  '/tests/rotation/simulation\\.test\\.ts$',
  '/tests/rotation/encryption-rotation\\.test\\.ts$',
  '/tests/app/verified-cache-differential\\.test\\.ts$',
  '/tests/devhost/timer-scheduler\\.test\\.ts$',
  '/tests/e2e/hardening\\.test\\.ts$',
];

const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // Azurite and the test CA are set up once for the whole run, for every project.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 30000,
  // Two on a 2-core machine such as CI; one per core but one elsewhere. The suites use free ports and their own
  // tables and key folders: the fast project also passes with 4 workers on 2 cores (95 s instead of 104 s).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: [
    { ...shared, displayName: 'fast', testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...REAL_TIME] },
    { ...shared, displayName: 'real-time', testRegex: REAL_TIME },
  ],
};
