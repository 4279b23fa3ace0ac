import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { SETTING_DEFAULTS } from '../src/config/settings';
import { capturedFunctions, installFunctionsCoreStandIn, type RegisteredHandler } from './functions-core-standin';

export interface Registration {
  name: string;
  trigger: 'http' | 'timer' | 'other';
  route?: string;
  methods?: string[];
  authLevel?: string;
  /** Timer schedule as written (e.g. `%ROTATION_SCHEDULE%`) and with app settings resolved. */
  rawSchedule?: string;
  schedule?: string;
  runOnStartup?: boolean;
  handler: RegisteredHandler;
}

/**
 * Replaces `%NAME%` with the app setting NAME, as the Functions host does for schedules. The real
 * host fails when the setting is missing (so infra sets it); the embedded host falls back to the
 * app's documented default so `npm start` works with no settings at all.
 */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv, defaults: Record<string, string> = SETTING_DEFAULTS): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const setting = env[name]?.trim() || defaults[name];
    if (setting === undefined) throw new Error(`App setting ${name} (used as %${name}%) is not set.`);
    return setting;
  });
}

/** The files named by package.json `main` (a path or a `dir/*.js` glob), as the host resolves them. */
export function entryFiles(appRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no "main": the Functions host would find no functions.');
  const pattern = resolve(appRoot, pkg.main);
  const name = basename(pattern);
  if (!name.includes('*')) return [pattern];
  const dir = dirname(pattern);
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run "npm run build" first.`);
  const matcher = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  const files = readdirSync(dir)
    .filter((file) => matcher.test(file))
    .sort()
    .map((file) => join(dir, file));
  if (files.length === 0) throw new Error(`package.json "main" (${pkg.main}) matches no file: run "npm run build" first.`);
  return files;
}

// Function files are found at run time (package.json `main`), so they are loaded by path.
const loadModule = createRequire(__filename);

/**
 * Loads the compiled function files with the stand-in for the worker and returns what they
 * registered. Duplicate names are refused, as the Functions host refuses them.
 */
export function loadRegistrations(appRoot: string, env: NodeJS.ProcessEnv = process.env): Registration[] {
  installFunctionsCoreStandIn();
  const files = entryFiles(appRoot);
  for (const file of files) loadModule(file);
  const captured = capturedFunctions();
  if (captured.length === 0) {
    throw new Error(`${files.length} function file(s) loaded but none registered a function: was @azure/functions used before the stand-in was installed?`);
  }
  const names = new Set<string>();
  for (const { metadata } of captured) {
    if (names.has(metadata.name.toLowerCase())) throw new Error(`Two functions are named "${metadata.name}"; function names must be unique.`);
    names.add(metadata.name.toLowerCase());
  }
  return captured.map(({ metadata, handler }) => {
    const trigger = Object.values(metadata.bindings).find((binding) => binding.direction === 'in' && binding.type.endsWith('Trigger'));
    if (!trigger) return { name: metadata.name, trigger: 'other' as const, handler };
    if (trigger.type === 'httpTrigger') {
      return {
        name: metadata.name,
        trigger: 'http' as const,
        route: trigger.route ?? metadata.name,
        methods: (trigger.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
        authLevel: trigger.authLevel ?? 'anonymous', // the library's own default
        handler,
      };
    }
    if (trigger.type === 'timerTrigger') {
      const rawSchedule = trigger.schedule ?? '';
      return { name: metadata.name, trigger: 'timer' as const, rawSchedule, schedule: resolveAppSettings(rawSchedule, env), runOnStartup: trigger.runOnStartup ?? false, handler };
    }
    return { name: metadata.name, trigger: 'other' as const, handler };
  });
}
