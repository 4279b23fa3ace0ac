import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * The deployment package: what `azd deploy` zips (remoteBuild: false) is the project minus .funcignore, so these
 * tests list it the same way (scripts/package-app.mjs, git's own gitignore matching) and check that it holds the
 * bundles (scripts/bundle-app.mjs), host.json, package.json and the few packages the bundles require at run time,
 * nothing else, and that it runs on its own.
 */
const ROOT = resolve(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'package-app.mjs');
const node = (...args: string[]): string => execFileSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };

let files: string[];
let scratch: string;
beforeAll(() => {
  files = node('--list').trim().split('\n').slice(0, -1);
  scratch = mkdtempSync(join(tmpdir(), 'kvjwt-package-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('.funcignore', () => {
  it('keeps its allow-list of run-time packages in step with package-lock.json', () => {
    expect(node('--check-funcignore')).toMatch(/node_modules folders the bundles require at run time \(@azure\/core-tracing, tslib\)/);
  });

  it('keeps node_modules itself, so azd does not switch to a remote build (which remoteBuild: false forbids with it excluded)', () => {
    expect(files.some((f) => f.startsWith('node_modules/'))).toBe(true);
    expect(readFileSync(join(ROOT, '.funcignore'), 'utf8').split('\n')).not.toContain('node_modules/');
  });

  it('ships exactly the bundles, the host files and the run-time packages from a tree full of other things', () => {
    const tree = join(scratch, 'tree');
    const touch = (path: string): void => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), 'x');
    };
    const shipped = ['host.json', 'package.json', 'dist/app/functions.js', 'dist/app/functions.js.map', 'dist/app/azure-sdk.js', 'node_modules/@azure/core-tracing/dist/commonjs/index.js', 'node_modules/tslib/tslib.js'];
    const withheld = ['.env', '.keys/.secret', '.keys/signing.json', '.test-certs/ca-key.pem', '.azurite/__azurite_db_table__.json', '__azurite_db_blob__.json', 'local.settings.json', '.azure/dev/.env', 'src/jwt/sign.ts', 'functions/sign.ts', 'devhost/main.ts', 'tests/infra/bicep.test.ts', 'bench/http.ts', 'infra/main.bicep', 'logicapp/verify-inbound.workflow.json', 'scripts/postdeploy.sh', 'dist/functions/sign.js', 'dist/functions/sign.js.map', 'dist/src/jwt/sign.js', 'dist/tests/support/host.js', 'dist/devhost/main.js', 'dist/bench/run.js', 'node_modules/@azure/functions/index.js', 'node_modules/@azure/data-tables/index.js', 'node_modules/@azure/core-tracing/dist/commonjs/index.js.map', 'node_modules/@azure/core-tracing/dist/commonjs/index.d.ts', 'node_modules/jose/index.js', 'node_modules/jest/index.js', 'node_modules/typescript/lib/tsc.js', 'node_modules/azurite/dist/index.js', 'node_modules/@types/node/index.d.ts', 'node_modules/.bin/tsc', 'node_modules/esbuild/lib/main.js', 'README.md', 'package-lock.json', 'tsconfig.json', 'coverage/lcov.info', '.git/config', 'some-new-file.txt'];
    for (const path of [...shipped, ...withheld]) touch(path);
    copyFileSync(join(ROOT, '.funcignore'), join(tree, '.funcignore'));
    const listed = node('--root', tree, '--list').trim().split('\n').slice(0, -1);
    expect(listed).toEqual([...shipped].sort());
  });
});

describe('the package of this repository', () => {
  it('holds the bundles with their source maps, host.json, package.json and the run-time packages, and no test, source or local secret', () => {
    expect(files).toEqual(expect.arrayContaining(['host.json', 'package.json', 'dist/app/functions.js', 'dist/app/functions.js.map', 'dist/app/azure-sdk.js', 'dist/app/azure-monitor.js']));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(files).toContain(pkg.main);
    for (const file of files) expect({ file, allowed: /^(host\.json|package\.json|dist\/app\/[\w-]+\.js(\.map)?|node_modules\/(tslib|@azure\/core-tracing)\/.+)$/.test(file) && !/\.ts$/.test(file) }).toEqual({ file, allowed: true });
  });

  it('holds no folder of a devDependency', () => {
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith('node_modules/') && (entry.dev || entry.devOptional) && !path.slice(13).includes('node_modules/')).map(([path]) => `${path}/`);
    expect(devOnly.length).toBeGreaterThan(500);
    const shippedDev = files.filter((file) => devOnly.some((dir) => file.startsWith(dir)));
    expect(shippedDev).toEqual([]);
  });

  it('runs on its own: every bundle loads and every package a bundle requires resolves inside it (the worker provides @azure/functions-core)', () => {
    const app = join(scratch, 'app');
    for (const file of files) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(app, file));
    }
    const check = `
      const fs = require('fs'), path = require('path'), { isBuiltin } = require('module');
      const bundles = fs.readdirSync('dist/app').filter((f) => f.endsWith('.js')).map((f) => path.join('dist/app', f));
      const packages = new Set();
      for (const file of bundles) for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\\("([^".][^"]*)"\\)/g)) if (!isBuiltin(m[1])) packages.add(m[1]);
      for (const name of packages) if (name !== '@azure/functions-core') require(name);
      console.warn = () => undefined; // outside a host the library says it skips registration
      for (const file of bundles) require('./' + file);
      process.stdout.write(JSON.stringify([...packages].sort()));`;
    const required = JSON.parse(execFileSync(process.execPath, ['-e', check], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_PATH: '', AUTH_MODE: 'none' } })) as string[];
    expect(required).toEqual(['@azure/core-tracing', '@azure/functions-core']);
  });

  it('zips to a valid archive of about 2 MiB (18.3 MiB with node_modules before the bundles, 56 MiB with every devDependency)', () => {
    const zip = join(scratch, 'package.zip');
    expect(node('--zip', zip)).toMatch(/package: \d+ files, [\d.]+ MiB, zip [\d.]+ MiB/);
    const archive = readFileSync(zip);
    const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(archive.readUInt16LE(end + 10)).toBe(files.length);
    // Every entry inflates to the file it came from.
    let offset = 0;
    const names: string[] = [];
    while (archive.readUInt32LE(offset) === 0x04034b50) {
      const packed = archive.readUInt32LE(offset + 18);
      const nameLength = archive.readUInt16LE(offset + 26);
      const name = archive.subarray(offset + 30, offset + 30 + nameLength).toString('utf8');
      const data = inflateRawSync(archive.subarray(offset + 30 + nameLength, offset + 30 + nameLength + packed));
      expect(data.equals(readFileSync(join(ROOT, name)))).toBe(true);
      names.push(name);
      offset += 30 + nameLength + packed;
    }
    expect(names).toEqual(files);
    expect(archive.length).toBeLessThan(4 * 1024 * 1024);
  });
});
