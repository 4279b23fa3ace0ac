import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * loadRegistrations against small fixture apps, each in a fresh Node process (registrations are
 * process-wide, as in the real worker), through the compiled host as `npm start` uses it.
 */
const APP_ROOT = resolve(__dirname, '..', '..');
const REGISTRY = join(APP_ROOT, 'dist', 'devhost', 'registry.js');
const FIXTURES = join(APP_ROOT, 'tests', 'fixtures');

function load(fixture: string, env: Record<string, string> = {}): { ok: true; list: Array<Record<string, unknown>> } | { ok: false; error: string } {
  if (!existsSync(REGISTRY)) throw new Error(`${REGISTRY} is missing: run "npm run build" first.`);
  const script = `
    const { loadRegistrations } = require(${JSON.stringify(REGISTRY)});
    try {
      const list = loadRegistrations(${JSON.stringify(join(FIXTURES, fixture))}, process.env).map(({ handler, ...rest }) => ({ ...rest, handler: typeof handler }));
      process.stdout.write(JSON.stringify({ ok: true, list }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, error: error.message }));
    }`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as ReturnType<typeof load>;
}

describe('loadRegistrations', () => {
  it('loads the files matching package.json main and reports the library defaults like the host would', () => {
    const result = load('devhost-app', { FIXTURE_SCHEDULE: '*/5 * * * * *' });
    expect(result).toEqual({
      ok: true,
      list: [
        { name: 'Hello', trigger: 'http', route: 'Hello', methods: ['GET', 'POST'], authLevel: 'anonymous', handler: 'function' },
        { name: 'item', trigger: 'http', route: 'items/{id}', methods: ['DELETE'], authLevel: 'function', handler: 'function' },
        { name: 'tick', trigger: 'timer', rawSchedule: '%FIXTURE_SCHEDULE%', schedule: '*/5 * * * * *', runOnStartup: true, handler: 'function' },
      ],
    });
  });

  it('fails naming the setting when a %SETTING% schedule is not set', () => {
    expect(load('devhost-app', { FIXTURE_SCHEDULE: '' })).toEqual({ ok: false, error: 'App setting FIXTURE_SCHEDULE (used as %FIXTURE_SCHEDULE%) is not set.' });
  });

  it('refuses two functions with one name', () => {
    expect(load('devhost-dup')).toEqual({ ok: false, error: 'Two functions are named "same"; function names must be unique.' });
  });

  it('refuses an app whose files register nothing (the library would be in test mode)', () => {
    expect(load('devhost-empty')).toMatchObject({ ok: false, error: expect.stringMatching(/1 function file\(s\) loaded but none registered a function/) });
  });

  it('refuses a main glob that matches no file', () => {
    expect(load('devhost-app/functions')).toMatchObject({ ok: false, error: expect.stringMatching(/package\.json/) });
  });
});
