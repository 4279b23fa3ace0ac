/**
 * A minimal stand-in for `@azure/functions-core`, the module the real Functions worker provides.
 * `@azure/functions` registers through it when it resolves (see its utils/tryGetCoreApiLazy.ts), so
 * placing this on the resolution path captures exactly what Core Tools would see: each function's
 * name, bindings (trigger, route, methods, authLevel, schedule) and handler. Internal behaviour of
 * the library, kept as small as the library needs.
 */
import Module from 'node:module';

export interface RpcBinding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  schedule?: string;
  runOnStartup?: boolean;
  [other: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBinding>;
}

export type RegisteredHandler = (...args: unknown[]) => unknown;

export interface CapturedFunction {
  metadata: FunctionMetadata;
  handler: RegisteredHandler;
}

interface Disposable {
  dispose(): void;
}

const captured: CapturedFunction[] = [];
let programmingModel: unknown;

export const standIn = {
  setProgrammingModel(model: unknown): void {
    programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return programmingModel;
  },
  registerFunction(metadata: FunctionMetadata, handler: RegisteredHandler): Disposable {
    const entry = { metadata, handler };
    captured.push(entry);
    return {
      dispose: () => {
        const index = captured.indexOf(entry);
        if (index >= 0) captured.splice(index, 1);
      },
    };
  },
  /** Hooks (app.hook.*) are accepted but not run: this app registers none. */
  registerHook(_hookName: string, _callback: unknown): Disposable {
    return { dispose: () => undefined };
  },
  /**
   * The library's own diagnostics (utils/workerSystemLog.ts). Its presence also tells the library
   * the "host" is recent enough for app.setup({ enableHttpStream }) (setup.ts), which this host does
   * not implement, so warnings and errors are surfaced rather than dropped.
   */
  log(level: string, _category: string, message: string): void {
    if (level === 'warning' || level === 'error' || level === 'critical') {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', message: 'functions-library', detail: message })}\n`);
    }
  },
};

const CORE_MODULE = '@azure/functions-core';
let installed = false;

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

/** Makes `require('@azure/functions-core')` return the stand-in, before any function file loads. */
export function installFunctionsCoreStandIn(): void {
  if (installed) return;
  installed = true;
  const moduleWithInternals = Module as unknown as { _resolveFilename: ResolveFilename; _cache: Record<string, unknown> };
  const original = moduleWithInternals._resolveFilename;
  moduleWithInternals._resolveFilename = function resolve(request, parent, isMain, options) {
    if (request === CORE_MODULE) return CORE_MODULE;
    return original.call(this, request, parent, isMain, options);
  };
  const cached = new Module(CORE_MODULE);
  cached.exports = standIn;
  cached.loaded = true;
  moduleWithInternals._cache[CORE_MODULE] = cached;
}

export function capturedFunctions(): readonly CapturedFunction[] {
  return captured;
}
