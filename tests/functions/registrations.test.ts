import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compiledRegistrations } from '../support/registrations';
import { parseSchedule } from '../../devhost/schedule';

/**
 * Proof that Core Tools would see the same app: the compiled entry points (package.json `main`) are
 * loaded in a fresh process with the stand-in for the Functions worker, and the full list of what
 * they register is compared with this table — the single place to update when a function is added.
 */
const EXPECTED = [
  { name: 'health', trigger: 'http', route: 'health', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'jwks', trigger: 'http', route: '.well-known/jwks.json', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'keys', trigger: 'http', route: 'keys', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'keysTimeline', trigger: 'http', route: 'keys/timeline', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'cleanupRevocations', trigger: 'timer', rawSchedule: '0 */15 * * * *', runOnStartup: false },
  { name: 'revoke', trigger: 'http', route: 'revoke', methods: ['POST'], authLevel: 'anonymous' },
  { name: 'revokeMany', trigger: 'http', route: 'revocations', methods: ['POST'], authLevel: 'anonymous' },
  { name: 'rotateKeys', trigger: 'timer', rawSchedule: '%ROTATION_SCHEDULE%', runOnStartup: false },
  { name: 'rotateKeysNow', trigger: 'http', route: 'keys/rotate', methods: ['POST'], authLevel: 'anonymous' },
  { name: 'openapi', trigger: 'http', route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'openidConfiguration', trigger: 'http', route: '.well-known/openid-configuration', methods: ['GET'], authLevel: 'anonymous' },
  { name: 'sign', trigger: 'http', route: 'sign', methods: ['POST'], authLevel: 'anonymous' },
  { name: 'verify', trigger: 'http', route: 'verify', methods: ['POST'], authLevel: 'anonymous' },
];

const APP_ROOT = resolve(__dirname, '..', '..');

function registered(): Array<Record<string, unknown>> {
  return compiledRegistrations();
}

describe('function registrations (what Core Tools indexes)', () => {
  const functions = registered();

  it('registers exactly the expected functions with their triggers, routes, methods and auth levels', () => {
    const simplified = functions
      .map(({ handler: _h, rawSchedule, schedule: _resolved, runOnStartup, ...rest }) =>
        rest.trigger === 'timer' ? { ...rest, rawSchedule, runOnStartup } : rest,
      )
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(simplified).toEqual([...EXPECTED].sort((a, b) => a.name.localeCompare(b.name)));
  });

  it('gives every function a handler and keeps HTTP functions anonymous (a Logic App with managed identity needs it)', () => {
    for (const f of functions) {
      expect(f.handler).toBe('function');
      if (f.trigger === 'http') expect(f.authLevel).toBe('anonymous');
    }
  });

  it('gives every timer a schedule the host can run with the default settings', () => {
    const timers = functions.filter((f) => f.trigger === 'timer');
    expect(timers.length).toBeGreaterThan(0);
    for (const timer of timers) expect(() => parseSchedule(String(timer.schedule))).not.toThrow();
  });

  it('points package.json main at the bundle of every function (scripts/bundle-app.mjs), which the build made', () => {
    const pkg = JSON.parse(readFileSync(join(APP_ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/app/functions.js');
    expect(existsSync(join(APP_ROOT, pkg.main))).toBe(true);
  });

  it('registers from the bundle exactly what the compiled function files register, one file per function', () => {
    const sources = readdirSync(join(APP_ROOT, 'functions')).filter((file) => file.endsWith('.ts')).map((file) => file.slice(0, -'.ts'.length)).sort();
    expect(functions.map((f) => String(f.name)).sort()).toEqual(sources);
    // The same registrations, handlers aside, from the tsc output the bundle was made of (dist/functions/*.js).
    const unbundled = mkdtempSync(join(tmpdir(), 'kvjwt-unbundled-'));
    try {
      writeFileSync(join(unbundled, 'package.json'), JSON.stringify({ main: join(APP_ROOT, 'dist', 'functions', '*.js') }));
      const byName = (list: Array<Record<string, unknown>>): Array<Record<string, unknown>> => [...list].sort((a, b) => String(a.name).localeCompare(String(b.name)));
      expect(byName(functions)).toEqual(byName(compiledRegistrations(unbundled)));
    } finally {
      rmSync(unbundled, { recursive: true, force: true });
    }
  });
});
