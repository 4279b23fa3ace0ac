import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/**
 * The verified-token cache's memory bound, measured: a fresh process (with --expose-gc, over the
 * compiled module) fills a cache with the default limits from tokens of one payload shape, as long
 * as the cache accepts, and reports the heap it grew by. For every shape — this service's ordinary
 * claims, and payloads built to cost the most heap per byte (hundreds of properties, long arrays,
 * deep nesting, two-byte strings) — the heap must stay within the entries' summed weight, and the
 * weight within the stated 32 MiB.
 */
const MODULE = join(resolve(__dirname, '..', '..'), 'dist', 'src', 'jwt', 'verified-cache.js');
const PROBE = `
  const { VerifiedTokenCache, DEFAULT_VERIFIED_CACHE } = require(process.argv[1]);
  const { randomBytes } = require('node:crypto');
  const shape = process.argv[2];
  const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'k' })).toString('base64url');
  const budget = Math.floor((DEFAULT_VERIFIED_CACHE.maxTokenChars - HEADER.length - 45) * 3 / 4) - 40;
  const fill = (make) => { const value = make(); let n = 0; while (JSON.stringify(value).length < budget) make.grow(value, n++); return value; };
  const shapes = {
    ordinary: () => ({ iss: 'https://jwt.example/api', sub: 'user', aud: 'api://orders', iat: 1800000000, nbf: 1800000000, exp: 1800003600, azp: 'caller-app', role: 'reader' }),
    properties: () => fill(Object.assign(() => ({}), { grow: (o, n) => (o['k' + n] = 0) })),
    array: () => fill(Object.assign(() => ({ a: [] }), { grow: (o) => o.a.push(0) })),
    nested: () => { const o = {}; let at = o; while (JSON.stringify(o).length < budget) { at.a = {}; at = at.a; } return o; },
    wide: () => ({ name: '\\u65e5\\u672c\\u8a9e'.repeat(Math.floor(budget / 9)) }),
  };
  const template = shapes[shape]();
  const cache = new VerifiedTokenCache();
  global.gc(); global.gc();
  const before = process.memoryUsage().heapUsed;
  let offered = 0;
  for (let i = 0; i < DEFAULT_VERIFIED_CACHE.maxEntries * 1.2 && (i < 200 || cache.size > i * 0.5); i += 1) {
    const json = JSON.stringify({ ...template, jti: 'jti-' + i });
    const token = HEADER + '.' + Buffer.from(json).toString('base64url') + '.' + randomBytes(32).toString('base64url');
    if (token.length > DEFAULT_VERIFIED_CACHE.maxTokenChars) throw new Error('token too long: ' + token.length);
    for (let k = 0; k < 2; k += 1) cache.admit(token, { claims: JSON.parse(json), payloadJson: json, kid: 'k', alg: 'HS256' }, 0);
    offered += 1;
  }
  global.gc(); global.gc();
  const grew = process.memoryUsage().heapUsed - before;
  process.stdout.write(JSON.stringify({ offered, size: cache.size, weight: cache.weight, grew, payloadChars: JSON.stringify(template).length }));
`;

interface Report {
  offered: number;
  size: number;
  weight: number;
  grew: number;
  payloadChars: number;
}

function fill(shape: string): Report {
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', PROBE, MODULE, shape], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Report;
}

describe('verified-token cache memory', () => {
  it.each([['ordinary'], ['properties'], ['array'], ['nested'], ['wide']])('holds no more heap than its weight, and at most 32 MiB, for %s payloads', (shape) => {
    const report = fill(shape);
    expect(report.size).toBeGreaterThan(100);
    expect(report.size).toBeLessThanOrEqual(10_000);
    expect(report.weight).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(report.grew).toBeLessThanOrEqual(report.weight);
    if (shape === 'ordinary') {
      // This service's own tokens: the entry count binds first, at about 1 KiB of heap each.
      expect(report.size).toBe(10_000);
      expect(report.grew / report.size).toBeLessThan(2048);
    } else {
      expect(report.payloadChars).toBeGreaterThan(shape === 'wide' ? 900 : 2500); // the largest payloads that fit a cacheable token
    }
  });
});
