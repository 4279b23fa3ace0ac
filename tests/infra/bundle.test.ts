import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isBuiltin } from 'node:module';

/**
 * The bundles `npm run build` makes (scripts/bundle-app.mjs): what each holds and requires. The start-up bundle
 * must not hold the Key Vault / identity SDKs or anything of OpenTelemetry (they are compiled only when first
 * used); the metrics the app wires in reach the distro through the lazy file, never inlined: the start-up bundle
 * requires it, and a synthetic entry that requires src/telemetry/create-metrics alone, bundled with the same plugin
 * and options, holds nothing of OpenTelemetry either.
 */
const ROOT = resolve(__dirname, '..', '..');
const bundle = (name: string): string => readFileSync(join(ROOT, 'dist', 'app', name), 'utf8');
/** Packages a bundle holds: esbuild names every wrapped module by its path. */
const held = (text: string): Set<string> => new Set([...text.matchAll(/"node_modules\/((?:@[^/"]+\/)?[^/"]+)\//g)].map((m) => m[1]));
const required = (text: string): string[] => [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((name) => !isBuiltin(name)))].sort();

describe('the bundles', () => {
  it('start-up bundle: the functions, the Table Storage SDK and jose, no Key Vault, identity or OpenTelemetry code', () => {
    const text = bundle('functions.js');
    const packages = held(text);
    for (const name of ['@azure/functions', '@azure/data-tables', 'jose']) expect(packages).toContain(name);
    const forbidden = [...packages].filter((name) => /^@azure\/(identity|keyvault-|msal-|monitor-)|^@opentelemetry\//.test(name));
    expect(forbidden).toEqual([]);
    // The two lazy files are required from inside the functions that use them (bundle-loading.test.ts: not at start).
    expect(required(text)).toEqual(['./azure-monitor.js', './azure-sdk.js', './on-demand.js', '@azure/core-tracing', '@azure/functions-core']);
  });

  it('azure-sdk.js holds identity and the Key Vault SDKs; azure-monitor.js the distro, taking identity from azure-sdk.js', () => {
    const sdk = held(bundle('azure-sdk.js'));
    for (const name of ['@azure/identity', '@azure/keyvault-keys', '@azure/keyvault-secrets', '@azure/msal-node']) expect(sdk).toContain(name);
    const monitor = bundle('azure-monitor.js');
    expect(held(monitor)).toContain('@azure/monitor-opentelemetry');
    expect(held(monitor)).not.toContain('@azure/identity');
    // The distro hooks Functions invocations through the worker's @azure/functions-core, as the app registers with it.
    expect(required(monitor)).toEqual(['./azure-sdk.js', './on-demand.js', '@azure/core-tracing', '@azure/functions-core']);
  });

  it('on-demand.js holds the XML parser and the proxy agents, which the start-up bundle only stubs', () => {
    for (const name of ['@azure/core-xml', 'fast-xml-parser', 'https-proxy-agent', 'http-proxy-agent']) {
      expect(held(bundle('on-demand.js'))).toContain(name);
      expect(held(bundle('functions.js'))).not.toContain(name);
    }
  });

  it('each stub names every export of its package, so a dependency update that adds one fails here, not in production', () => {
    const script = `
      import { ON_DEMAND } from ${JSON.stringify(join(ROOT, 'scripts', 'bundle-app.mjs'))};
      import { createRequire } from 'node:module';
      const load = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
      const report = Object.entries(ON_DEMAND.packages).map(([name, stub]) => ({
        name, exported: Object.keys(load(name)).filter((key) => key !== '__esModule').sort(), stubbed: [...stub.functions, ...stub.values].sort() }));
      process.stdout.write(JSON.stringify(report));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Array<{ name: string; exported: string[]; stubbed: string[] }>;
    expect(report.map((entry) => entry.name)).toEqual(['@azure/core-xml', 'https-proxy-agent', 'http-proxy-agent']);
    for (const { exported, stubbed } of report) expect(stubbed).toEqual(exported);
  });

  it('a stub loads on-demand.js on first use, and then works as the package does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvjwt-on-demand-'));
    try {
      copyFileSync(join(ROOT, 'dist', 'app', 'on-demand.js'), join(dir, 'on-demand.js'));
      const script = `
        import { build } from 'esbuild';
        import { BUNDLE_OPTIONS, lazyFiles } from ${JSON.stringify(join(ROOT, 'scripts', 'bundle-app.mjs'))};
        await build({ ...BUNDLE_OPTIONS, metafile: false, sourcemap: false, outfile: ${JSON.stringify(join(dir, 'entry.js'))},
          stdin: { contents: "module.exports = { xml: require('@azure/core-xml'), proxy: require('https-proxy-agent') };", resolveDir: ${JSON.stringify(ROOT)}, loader: 'js' },
          plugins: [lazyFiles({ monitor: false })] });
        const { createRequire } = await import('node:module');
        const load = createRequire(import.meta.url);
        const entry = load(${JSON.stringify(join(dir, 'entry.js'))});
        const loaded = () => Object.keys(load.cache).some((path) => path.endsWith('on-demand.js'));
        const before = loaded();
        const parsed = await entry.xml.parseXML('<a><b>1</b></a>');
        const agent = new entry.proxy.HttpsProxyAgent('http://127.0.0.1:3128');
        process.stdout.write(JSON.stringify({ before, after: loaded(), parsed, proxy: agent.proxy.href }));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toEqual({ before: false, after: true, parsed: { b: '1' }, proxy: 'http://127.0.0.1:3128/' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps source maps that lead back to the TypeScript sources', () => {
    const map = JSON.parse(bundle('functions.js.map')) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(['../../src/app/token-verifier.ts', '../../functions/verify.ts']));
  });

  it('sends the telemetry module to azure-monitor.js when a function uses it (the distro is never inlined)', () => {
    const script = `
      import { build } from 'esbuild';
      import { BUNDLE_OPTIONS, lazyFiles } from ${JSON.stringify(join(ROOT, 'scripts', 'bundle-app.mjs'))};
      const result = await build({ ...BUNDLE_OPTIONS, metafile: false, sourcemap: false, write: false, outfile: 'out.js',
        stdin: { contents: "require('./dist/src/telemetry/create-metrics.js');", resolveDir: ${JSON.stringify(ROOT)}, loader: 'js' },
        plugins: [lazyFiles({ monitor: true })] });
      process.stdout.write(result.outputFiles[0].text);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('require("./azure-monitor.js")');
    expect(held(run.stdout).size).toBe(0);
    expect(run.stdout).not.toMatch(/useAzureMonitor|@opentelemetry/);
  });
});
