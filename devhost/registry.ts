import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { SETTING_DEFAULTS } from '../src/config/settings';
import { capturedFunctions as captured, installFunctionsCoreStandIn, type RegisteredHandler } from './functions-core-standin';

/** A function as the host sees it; a timer's schedule as written (`%ROTATION_SCHEDULE%`) and resolved. */
export interface Registration {
  name: string;
  trigger: 'http' | 'timer' | 'other';
  handler: RegisteredHandler;
  // HTTP triggers:
  route?: string; methods?: string[]; authLevel?: string;
  // timer triggers:
  rawSchedule?: string; schedule?: string; runOnStartup?: boolean;
}

/** `%NAME%` replaced by the app setting NAME, as the host does for schedules; unset, the app's documented default (the host would fail). */
export function resolveAppSettings(value: string, env: NodeJS.ProcessEnv, defaults: Record<string, string> = SETTING_DEFAULTS): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const setting = env[name]?.trim() || defaults[name];
    if (setting === undefined) throw new Error(`App setting ${name} (used as %${name}%) is not set.`);
    return setting;
  });
}

/** The files named by package.json `main` (a path, or a glob such as `dist/functions/*.js`), as the host resolves them. */
export function entryFiles(appRoot: string): string[] {
  const { main } = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!main) throw new Error('package.json has no "main": the Functions host would find no functions.');
  const [dir, name] = [dirname(resolve(appRoot, main)), basename(main)];
  if (!name.includes('*')) return [join(dir, name)];
  const matcher = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => matcher.test(file)).sort() : [];
  if (files.length === 0) throw new Error(`package.json "main" (${main}) matches no file: run "npm run build" first.`);
  return files.map((file) => join(dir, file));
}

// Function files are found at run time (package.json `main`), so they are loaded by path.
const loadModule = createRequire(__filename);

/** Loads the compiled function files with the stand-in for the worker: what they registered, with the library's defaults. */
export function loadRegistrations(appRoot: string, env: NodeJS.ProcessEnv = process.env): Registration[] {
  installFunctionsCoreStandIn();
  const files = entryFiles(appRoot);
  for (const file of files) loadModule(file);
  if (captured.length === 0) throw new Error(`${files.length} function file(s) loaded but none registered a function: was @azure/functions used before the stand-in was installed?`);
  const names = captured.map(({ metadata }) => metadata.name.toLowerCase());
  const duplicate = captured.find((_, i) => names.indexOf(names[i]) !== i);
  if (duplicate) throw new Error(`Two functions are named "${duplicate.metadata.name}"; function names must be unique.`);
  return captured.map(({ metadata: { name, bindings }, handler }): Registration => {
    const trigger = Object.values(bindings).find((binding) => binding.direction === 'in' && binding.type.endsWith('Trigger'));
    if (trigger?.type === 'httpTrigger') {
      const methods = (trigger.methods ?? ['GET', 'POST']).map((method) => method.toUpperCase());
      return { name, trigger: 'http', route: trigger.route ?? name, methods, authLevel: trigger.authLevel ?? 'anonymous', handler };
    }
    if (trigger?.type !== 'timerTrigger') return { name, trigger: 'other', handler };
    const rawSchedule = trigger.schedule ?? '';
    return { name, trigger: 'timer', rawSchedule, schedule: resolveAppSettings(rawSchedule, env), runOnStartup: trigger.runOnStartup ?? false, handler };
  });
}
