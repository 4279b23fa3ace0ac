#!/usr/bin/env node
// The deployment package, built the way `azd deploy` builds it for a Functions service with `remoteBuild: false`:
// every file under the project root except what `.funcignore` excludes (gitignore rules), `.azure/`, the ignore
// file itself and local.settings.json, zipped as it is on disk (no build on the server). `.funcignore` therefore
// decides what ships: host.json, package.json and the bundles in dist/app (scripts/bundle-app.mjs), and of
// node_modules only the packages the bundles require at run time (RUNTIME_PACKAGES) with their own dependencies —
// an allow-list this script generates from package-lock.json.
//
//   node scripts/package-app.mjs                       list the package: a summary line
//   node scripts/package-app.mjs --list                also every file
//   node scripts/package-app.mjs --zip <out.zip>       also write the zip (deflate) and print its size
//   node scripts/package-app.mjs --funcignore <file>   use another ignore file (e.g. an old one, to compare)
//   node scripts/package-app.mjs --root <dir>          package another project folder (tests use a scratch tree)
//   node scripts/package-app.mjs --update-funcignore   rewrite the allow-list in .funcignore from package-lock.json
//   node scripts/package-app.mjs --check-funcignore    exit 1 when the allow-list and package-lock.json differ
//
// gitignore matching is git's own (`git ls-files --others --exclude-from`), run against an empty scratch
// repository so that nothing else (.gitignore, the index) takes part.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { RUNTIME_PACKAGES } from './bundle-app.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const BEGIN = '# >>> runtime dependencies (node scripts/package-app.mjs --update-funcignore)';
const END = '# <<< runtime dependencies';

/** Where Node would find `name` from the package installed at `from` (a package-lock.json path). */
function locate(lock, from, name) {
  for (let dir = from; ; dir = dir.slice(0, dir.lastIndexOf('/node_modules/'))) {
    const candidate = `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir.includes('/node_modules/')) break;
  }
  if (lock.packages[`node_modules/${name}`]) return `node_modules/${name}`;
  throw new Error(`package-lock.json has no ${name} (needed by ${from || 'the project'})`);
}

/**
 * Top-level node_modules folders of `roots` and everything they depend on (nested copies ship inside their
 * parent's folder), from package-lock.json.
 */
export function runtimePackages(lock, roots = RUNTIME_PACKAGES) {
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path];
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) visit(locate(lock, path, name));
  };
  for (const root of roots) visit(locate(lock, '', root));
  return [...seen].map((path) => path.slice('node_modules/'.length)).filter((name) => !name.includes('/node_modules/')).sort();
}

/** The .funcignore lines that exclude node_modules except the given packages (scoped ones one scope at a time). */
export function allowListLines(names) {
  const lines = [BEGIN, '/node_modules/*'];
  const scopes = new Map();
  for (const name of names) {
    if (name.startsWith('@')) {
      const [scope, pkg] = name.split('/');
      scopes.set(scope, [...(scopes.get(scope) ?? []), pkg]);
    } else lines.push(`!/node_modules/${name}/`);
  }
  for (const [scope, pkgs] of [...scopes].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`!/node_modules/${scope}/`, `/node_modules/${scope}/*`, ...pkgs.map((pkg) => `!/node_modules/${scope}/${pkg}/`));
  }
  lines.push(END);
  return lines;
}

function withAllowList(funcignore, lines) {
  const start = funcignore.indexOf(BEGIN);
  const end = funcignore.indexOf(END);
  if (start < 0 || end < start) throw new Error(`.funcignore has no "${BEGIN}" … "${END}" section`);
  return funcignore.slice(0, start) + lines.join('\n') + funcignore.slice(end + END.length);
}

/** Relative paths of the files azd would zip, sorted. */
export function packageFiles(root = ROOT, ignoreFile = join(root, '.funcignore')) {
  const scratch = mkdtempSync(join(tmpdir(), 'kvjwt-package-'));
  try {
    execFileSync('git', ['init', '--quiet', '--bare', join(scratch, 'empty.git')]);
    const out = execFileSync('git', ['--git-dir', join(scratch, 'empty.git'), '--work-tree', root, '-c', 'core.quotepath=off', 'ls-files', '--others', '-z', `--exclude-from=${ignoreFile}`], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    return out
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      // azd's own rules, applied whatever the ignore file says.
      .filter((file) => !file.split('/').includes('.azure') && file !== '.funcignore' && !/(^|\/)local\.settings\.json$/.test(file))
      .sort();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A plain zip (deflate, no zip64: the package is far below 4 GB and 65,535 files). */
export function writeZip(root, files, out) {
  if (files.length > 0xffff) throw new Error('too many files for a zip without zip64');
  const chunks = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    const data = readFileSync(join(root, file));
    const packed = deflateRawSync(data, { level: 9 });
    const name = Buffer.from(file, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    chunks.push(local, name, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x031e, 4); // made by: Unix, zip 3.0
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += local.length + name.length + packed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(out, Buffer.concat([...chunks, ...central, end]));
  return statSync(out).size;
}

function main(argv) {
  const option = (name) => {
    const i = argv.indexOf(name);
    return i < 0 ? undefined : argv[i + 1];
  };
  const funcignorePath = join(ROOT, '.funcignore');
  const packages = runtimePackages(JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')));
  const expected = allowListLines(packages);
  if (argv.includes('--update-funcignore') || argv.includes('--check-funcignore')) {
    const current = readFileSync(funcignorePath, 'utf8');
    const updated = withAllowList(current, expected);
    if (argv.includes('--update-funcignore')) writeFileSync(funcignorePath, updated);
    else if (updated !== current) {
      console.error('.funcignore: the production-dependency allow-list differs from package-lock.json; run node scripts/package-app.mjs --update-funcignore');
      return 1;
    }
    console.log(`.funcignore: the allow-list names the ${packages.length} node_modules folders the bundles require at run time (${packages.join(', ')})`);
    return 0;
  }
  const root = resolve(option('--root') ?? ROOT);
  const files = packageFiles(root, resolve(option('--funcignore') ?? join(root, '.funcignore')));
  const bytes = files.reduce((sum, file) => sum + statSync(join(root, file)).size, 0);
  if (argv.includes('--list')) for (const file of files) console.log(file);
  const zip = option('--zip');
  const zipped = zip ? `, zip ${(writeZip(root, files, resolve(zip)) / 1024 / 1024).toFixed(2)} MiB at ${zip}` : '';
  console.log(`package: ${files.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB${zipped}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
