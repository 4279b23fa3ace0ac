import Module from 'node:module';

export interface RpcBinding { type: string; direction: string; route?: string; methods?: string[]; authLevel?: string; schedule?: string; runOnStartup?: boolean }
export type RegisteredHandler = (...args: unknown[]) => unknown;
export interface CapturedFunction { metadata: { name: string; bindings: Record<string, RpcBinding> }; handler: RegisteredHandler }

const CORE_MODULE = '@azure/functions-core';
const captured: CapturedFunction[] = [];
export const appStartHooks: Array<(context: { hookData: Record<string, unknown> }) => unknown> = [];
/** What the function files registered so far (registrations are process-wide, as in the worker). */
export const capturedFunctions: readonly CapturedFunction[] = captured;

/**
 * A stand-in for `@azure/functions-core`, which the Functions worker provides: `@azure/functions`
 * registers through it when it resolves (utils/tryGetCoreApiLazy.ts), so it captures what Core Tools
 * would index. Internal behaviour of the library (AZURE-FACTS): only the members the library calls.
 */
const standIn = {
  setProgrammingModel: (): void => undefined,
  registerFunction: (metadata: CapturedFunction['metadata'], handler: RegisteredHandler): void => void captured.push({ metadata, handler }),
  /** app.hook.appStart callbacks are kept: the host runs them once the app has loaded, as the worker does at its init. The app registers no other hook. */
  registerHook: (name: string, callback: (typeof appStartHooks)[number]): { dispose(): void } => {
    if (name === 'appStart') appStartHooks.push(callback);
    return { dispose: () => undefined };
  },
  /** The library's own warnings (utils/workerSystemLog.ts), e.g. that this host has no HTTP streaming. */
  log(level: string, _category: string, message: string): void {
    if (level !== 'warning' && level !== 'error' && level !== 'critical') return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', message: 'functions-library', detail: message })}\n`);
  },
};

/** Makes `require('@azure/functions-core')` return the stand-in; call before any function file loads. */
export function installFunctionsCoreStandIn(): void {
  const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, Module> };
  if (loader._cache[CORE_MODULE] !== undefined) return;
  const original = loader._resolveFilename;
  loader._resolveFilename = function resolve(request, ...rest) {
    return request === CORE_MODULE ? CORE_MODULE : original.call(this, request, ...rest);
  };
  loader._cache[CORE_MODULE] = Object.assign(new Module(CORE_MODULE), { exports: standIn, loaded: true });
}
