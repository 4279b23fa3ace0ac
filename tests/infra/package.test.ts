import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * The deployment package: what `azd deploy` zips (remoteBuild: false) is the project minus .funcignore, so these
 * tests list it the same way (scripts/package-app.mjs, git's own gitignore matching) and check that it holds the
 * compiled app and the production dependency tree, nothing else, and that it runs on its own.
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
  it('keeps its production-dependency allow-list in step with package-lock.json', () => {
    expect(node('--check-funcignore')).toMatch(/production dependency tree/);
  });

  it('keeps node_modules itself, so azd does not switch to a remote build (which remoteBuild: false forbids with it excluded)', () => {
    expect(files.some((f) => f.startsWith('node_modules/'))).toBe(true);
    expect(readFileSync(join(ROOT, '.funcignore'), 'utf8').split('\n')).not.toContain('node_modules/');
  });

  it('ships exactly the app, the host files and production dependencies from a tree full of other things', () => {
    const tree = join(scratch, 'tree');
    const touch = (path: string): void => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), 'x');
    };
    const shipped = ['host.json', 'package.json', 'dist/functions/sign.js', 'dist/src/jwt/sign.js', 'node_modules/@azure/functions/index.js', 'node_modules/@azure/msal-node/node_modules/@azure/msal-common/index.js', 'node_modules/tslib/tslib.js'];
    const withheld = ['.env', '.keys/.secret', '.keys/signing.json', '.test-certs/ca-key.pem', '.azurite/__azurite_db_table__.json', '__azurite_db_blob__.json', 'local.settings.json', '.azure/dev/.env', 'src/jwt/sign.ts', 'functions/sign.ts', 'devhost/main.ts', 'tests/infra/bicep.test.ts', 'bench/http.ts', 'infra/main.bicep', 'logicapp/verify-inbound.workflow.json', 'scripts/postdeploy.sh', 'dist/functions/sign.js.map', 'dist/tests/support/host.js', 'dist/devhost/main.js', 'dist/bench/run.js', 'node_modules/jest/index.js', 'node_modules/typescript/lib/tsc.js', 'node_modules/azurite/dist/index.js', 'node_modules/@types/node/index.d.ts', 'node_modules/@azure/functions/types/index.d.ts', 'node_modules/.bin/tsc', 'node_modules/@typescript-eslint/parser/index.js', 'README.md', 'package-lock.json', 'tsconfig.json', 'coverage/lcov.info', '.git/config', 'some-new-file.txt'];
    for (const path of [...shipped, ...withheld]) touch(path);
    copyFileSync(join(ROOT, '.funcignore'), join(tree, '.funcignore'));
    const listed = node('--root', tree, '--list').trim().split('\n').slice(0, -1);
    expect(listed).toEqual([...shipped].sort());
  });
});

describe('the package of this repository', () => {
  it('holds the compiled functions and core, host.json and package.json, and no test, source or local secret', () => {
    expect(files).toEqual(expect.arrayContaining(['host.json', 'package.json', 'dist/functions/sign.js', 'dist/functions/verify.js', 'dist/src/config/settings.js']));
    const compiledEntries = readdirSync(join(ROOT, 'dist', 'functions')).filter((f) => f.endsWith('.js')).map((f) => `dist/functions/${f}`);
    expect(files).toEqual(expect.arrayContaining(compiledEntries));
    for (const file of files) expect({ file, allowed: /^(host\.json|package\.json|dist\/(functions|src)\/.+\.js|node_modules\/.+)$/.test(file) && !/\.(map|ts)$/.test(file) }).toEqual({ file, allowed: true });
  });

  it('holds no folder of a devDependency', () => {
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith('node_modules/') && (entry.dev || entry.devOptional) && !path.slice(13).includes('node_modules/')).map(([path]) => `${path}/`);
    expect(devOnly.length).toBeGreaterThan(500);
    const shippedDev = files.filter((file) => devOnly.some((dir) => file.startsWith(dir)));
    expect(shippedDev).toEqual([]);
  });

  it('runs on its own: every entry point loads and every module the compiled code requires resolves inside it', () => {
    const app = join(scratch, 'app');
    for (const file of files) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(app, file));
    }
    const check = `
      const fs = require('fs'), path = require('path');
      const js = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? js(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []);
      const modules = new Set();
      for (const file of js('dist')) for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\\("([^".][^"]*)"\\)/g)) modules.add(m[1]);
      for (const name of modules) require(name);
      for (const entry of fs.readdirSync('dist/functions').filter((f) => f.endsWith('.js'))) require('./' + path.join('dist/functions', entry));
      process.stdout.write(JSON.stringify([...modules].sort()));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', check], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_PATH: '', AUTH_MODE: 'none' } })) as string[];
    expect(loaded).toEqual(expect.arrayContaining(['@azure/core-rest-pipeline', '@azure/data-tables', '@azure/functions', '@azure/identity', '@azure/keyvault-keys', '@azure/keyvault-secrets', 'jose']));
  });

  it('zips to a valid archive of a few MiB (was 56 MiB with every devDependency)', () => {
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
    expect(archive.length).toBeLessThan(8 * 1024 * 1024);
  });
});
