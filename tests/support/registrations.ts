import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Registration } from '../../devhost/registry';

/** A registration as it crosses the process boundary: the handler reduced to its type name. */
export type RegisteredFunction = Omit<Registration, 'handler'> & { handler: string };

const APP_ROOT = resolve(__dirname, '..', '..');

/**
 * What the compiled entry points (package.json `main`) register, read in a fresh process through
 * the embedded host's stand-in for the Functions worker — what Core Tools would index. `appRoot`
 * names another folder whose package.json `main` to read (a test compares the bundle with the tsc output).
 */
export function compiledRegistrations(appRoot = APP_ROOT): RegisteredFunction[] {
  const script = `
    const { loadRegistrations } = require(${JSON.stringify(join(APP_ROOT, 'dist', 'devhost', 'registry.js'))});
    const list = loadRegistrations(${JSON.stringify(appRoot)}, process.env).map(({ handler, ...rest }) => ({ ...rest, handler: typeof handler }));
    process.stdout.write(JSON.stringify(list));`;
  const output = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AzureWebJobsStorage: '' }, encoding: 'utf8' });
  return JSON.parse(output) as RegisteredFunction[];
}
