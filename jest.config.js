/**
 * Two projects: `fast` (everything that does not wait on the wall clock) and `real-time` (rotation
 * with real seconds, the Key Vault fault soak, the two-year rotation simulation). `npm test` runs
 * both; `npm run test:fast` runs the first.
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

const REAL_TIME = ['<rootDir>/tests/e2e/rotation-*.test.ts', '<rootDir>/tests/reliability/**/*.test.ts', '<rootDir>/tests/rotation/simulation.test.ts'];

/** @type {import('jest').Config} */
module.exports = {
  // Azurite and the test CA are set up once for the whole run, for every project.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'fast', testMatch: ['<rootDir>/tests/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '/tests/e2e/rotation-', '/tests/reliability/', '/tests/rotation/simulation.test.ts'] },
    { ...shared, displayName: 'real-time', testMatch: REAL_TIME },
  ],
};
