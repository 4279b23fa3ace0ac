#!/usr/bin/env node
// The deployed app as a few bundles, so the Functions worker (and `npm start`, which loads the same files) reads
// three files instead of hundreds of modules. esbuild bundles the tsc output in dist/ (CommonJS, exactly what tsc
// emitted; source maps chained back to the .ts sources), after `tsc` in `npm run build`:
//
//   dist/app/functions.js      every function entry point (dist/functions/*.js) and what they load at start-up
//   dist/app/azure-sdk.js      @azure/identity, @azure/keyvault-keys, @azure/keyvault-secrets: required the first
//                              time Key Vault or a managed identity is used (never on an embedded-store start)
//   dist/app/azure-monitor.js  the Azure Monitor OpenTelemetry distro and src/telemetry/azure-monitor.ts: required
//                              only with APPLICATIONINSIGHTS_CONNECTION_STRING (it is ~1,900 modules)
//   dist/app/on-demand.js      packages the Table Storage SDK requires at load but calls only in rare cases (its XML
//                              parser, the HTTP(S) proxy agents): functions.js holds a stub with the same exports
//                              that loads this file on first use; ~25 ms of a cold start (a --cpu-prof of a start)
//
// Not bundled (RUNTIME_PACKAGES ship in node_modules; .funcignore's allow-list is their production closure):
//   @azure/functions-core  provided by the Functions worker at run time (and by the embedded host's stand-in)
//   @azure/core-tracing    one module shared by every Azure SDK client: the distro's Azure SDK instrumentation
//                          installs itself by patching it when it is required (require-in-the-middle), which it
//                          cannot do inside a bundle
//
//   node scripts/bundle-app.mjs            build the bundles
//   node scripts/bundle-app.mjs --analyze  also print the largest inputs of each bundle
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
export const BUNDLE_DIR = 'dist/app';
export const ENTRY_BUNDLE = `${BUNDLE_DIR}/functions.js`;
/** Packages the bundles require at run time from node_modules (the package ships them). */
export const RUNTIME_PACKAGES = ['@azure/core-tracing'];
/** Provided by the Functions worker; never shipped. */
const PROVIDED_PACKAGES = ['@azure/functions-core'];

/** The SDKs that only Key Vault and managed identity need, as one lazily required bundle. */
const AZURE_SDK = { file: 'azure-sdk.js', members: { '@azure/identity': 'identity', '@azure/keyvault-keys': 'keys', '@azure/keyvault-secrets': 'secrets' } };
/**
 * Packages required at load by what the first verify needs (@azure/data-tables, the HTTP runtime) but used only for
 * XML bodies (never on the Table Storage JSON path) or when HTTPS_PROXY/HTTP_PROXY is set: in functions.js a stub
 * stands for each — its functions call through, its other exports are getters — and loads on-demand.js on first use.
 */
export const ON_DEMAND = {
  file: 'on-demand.js',
  packages: {
    '@azure/core-xml': { member: 'xml', functions: ['parseXML', 'stringifyXML'], values: ['XML_ATTRKEY', 'XML_CHARKEY'] },
    'https-proxy-agent': { member: 'httpsProxyAgent', functions: [], values: ['HttpsProxyAgent'] },
    'http-proxy-agent': { member: 'httpProxyAgent', functions: [], values: ['HttpProxyAgent'] },
  },
};

function onDemandStub({ member, functions, values }) {
  return [
    `let real; const load = () => (real ??= require('./${ON_DEMAND.file}').${member});`,
    `module.exports = { ${[...functions.map((name) => `${name}: (...args) => load().${name}(...args)`), ...values.map((name) => `get ${name}() { return load().${name}; }`)].join(', ')} };`,
  ].join('\n');
}

/** Our module that starts the Azure Monitor distro, bundled with it into its own file. */
const AZURE_MONITOR = { file: 'azure-monitor.js', module: 'dist/src/telemetry/azure-monitor.js' };

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Sends what a bundle must not contain to the files that do: the Key Vault SDKs to azure-sdk.js, the telemetry
 * module to azure-monitor.js, the rarely used packages to on-demand.js (through stubs). The requires stay where tsc
 * put them (inside the functions that use them), so the files load on first use.
 */
export function lazyFiles({ monitor }) {
  return {
    name: 'lazy-files',
    setup(builder) {
      const sdkNames = new RegExp(`^(${Object.keys(AZURE_SDK.members).map(escape).join('|')})$`);
      builder.onResolve({ filter: sdkNames }, ({ path }) => ({ path, namespace: 'azure-sdk' }));
      builder.onLoad({ filter: /.*/, namespace: 'azure-sdk' }, ({ path }) => ({
        contents: `module.exports = require('./${AZURE_SDK.file}')[${JSON.stringify(AZURE_SDK.members[path])}];`,
        loader: 'js',
      }));
      builder.onResolve({ filter: new RegExp(`^\\./${escape(AZURE_SDK.file)}$`) }, ({ path }) => ({ path, external: true }));
      const onDemandNames = new RegExp(`^(${Object.keys(ON_DEMAND.packages).map(escape).join('|')})$`);
      builder.onResolve({ filter: onDemandNames }, ({ path }) => ({ path, namespace: 'on-demand' }));
      builder.onLoad({ filter: /.*/, namespace: 'on-demand' }, ({ path }) => ({ contents: onDemandStub(ON_DEMAND.packages[path]), loader: 'js' }));
      builder.onResolve({ filter: new RegExp(`^\\./${escape(ON_DEMAND.file)}$`) }, ({ path }) => ({ path, external: true }));
      if (!monitor) return;
      builder.onResolve({ filter: /[/\\]azure-monitor$/ }, ({ path, resolveDir }) =>
        resolve(resolveDir, `${path}.js`) === join(ROOT, AZURE_MONITOR.module) ? { path: `./${AZURE_MONITOR.file}`, external: true } : undefined,
      );
    },
  };
}

/** The options every bundle is built with (tests build a synthetic entry with them). */
export const BUNDLE_OPTIONS = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: [...RUNTIME_PACKAGES, ...PROVIDED_PACKAGES],
  // Whitespace and syntax only: smaller files compile faster, and names stay as written (error classes are told
  // apart by name) without keepNames, whose __name() call per function cost more at load than it saved (measured).
  minifyWhitespace: true,
  minifySyntax: true,
  // Short lines: Node prints the source line of an error thrown at load, and the host's log should not get a megabyte.
  lineLimit: 160,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
};

export async function bundleApp({ root = ROOT } = {}) {
  const out = join(root, BUNDLE_DIR);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const entries = readdirSync(join(root, 'dist', 'functions')).filter((file) => file.endsWith('.js')).sort();
  if (entries.length === 0) throw new Error('dist/functions has no .js file: run tsc first (npm run build).');
  const entry = entries.map((file) => `require('./dist/functions/${file}');`).join('\n');
  const sdk = `module.exports = { ${Object.entries(AZURE_SDK.members).map(([name, member]) => `${member}: require(${JSON.stringify(name)})`).join(', ')} };`;
  const onDemand = `module.exports = { ${Object.entries(ON_DEMAND.packages).map(([name, { member }]) => `${member}: require(${JSON.stringify(name)})`).join(', ')} };`;
  const builds = await Promise.all([
    build({ ...BUNDLE_OPTIONS, stdin: { contents: entry, resolveDir: root, sourcefile: 'functions-entry.js', loader: 'js' }, outfile: join(out, 'functions.js'), plugins: [lazyFiles({ monitor: true })] }),
    build({ ...BUNDLE_OPTIONS, stdin: { contents: sdk, resolveDir: root, sourcefile: 'azure-sdk-entry.js', loader: 'js' }, outfile: join(out, AZURE_SDK.file) }),
    build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, AZURE_MONITOR.module)], outfile: join(out, AZURE_MONITOR.file), plugins: [lazyFiles({ monitor: false })] }),
    build({ ...BUNDLE_OPTIONS, stdin: { contents: onDemand, resolveDir: root, sourcefile: 'on-demand-entry.js', loader: 'js' }, outfile: join(out, ON_DEMAND.file) }),
  ]);
  return builds.map((result) => result.metafile);
}

function largestInputs(metafile, count = 12) {
  const lines = [];
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    const byPackage = new Map();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'kv-jwt';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
    lines.push(`${file}: ${(output.bytes / 1024).toFixed(0)} KiB`);
    for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, count)) lines.push(`  ${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${name}`);
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const metafiles = await bundleApp();
  const files = metafiles.flatMap((metafile) => Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js')).map(([file, { bytes }]) => `${relative(ROOT, resolve(ROOT, file))} ${(bytes / 1024).toFixed(0)} KiB`));
  console.log(`bundled: ${files.join(', ')}`);
  if (process.argv.includes('--analyze')) for (const metafile of metafiles) console.log(largestInputs(metafile).join('\n'));
}
