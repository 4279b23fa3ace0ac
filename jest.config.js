/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
    // The `dpop` client library (tests only) ships ES modules alone; Jest on Node 20 can not require
    // them, so its files are compiled to CommonJS like ours.
    '/node_modules/dpop/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!dpop/)'],
  // Azurite and the Key Vault double are started once for the whole run.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  setupFiles: ['<rootDir>/tests/support/local-developer-env.ts'],
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
