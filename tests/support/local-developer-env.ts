/**
 * Jest setupFiles: every test process runs as a local developer does, with AUTH_MODE=none asked for
 * (the app's own default is entra). Function files validate the settings when they are imported,
 * before a test body could set them. Tests of the defaults pass their own settings to loadConfig;
 * hosts started by tests/support/host.ts get their settings from the test, not from here.
 */
process.env.AUTH_MODE ??= 'none';
