import { format } from 'node:util';

export type HostLogLevel = 'info' | 'warn' | 'error';
/** Where log lines go: stdout (errors to stderr) by default, a buffer in tests. */
export type HostLogSink = (level: HostLogLevel, line: string) => void;

const standardStreams: HostLogSink = (level, line) => void (level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);

/**
 * The host's log, one JSON object per line; functions' own lines (context.log) go through it, tagged
 * with function and invocation. Callers pass names, codes and counts only: never headers, bodies,
 * query strings, raw paths or error messages.
 */
export class HostLog {
  constructor(private readonly sink: HostLogSink = standardStreams) {}

  write(level: HostLogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.sink(level, JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  }

  /** An InvocationContext log handler: the worker's levels, arguments formatted as the worker formats them. */
  handlerFor(functionName: string, invocationId: string): (level: string, ...args: unknown[]) => void {
    return (level, ...args) => {
      const severity = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      this.write(severity, format(...args), { function: functionName, invocationId });
    };
  }
}

/** A failure as logged: class name and short machine code (ECONNREFUSED, a ServiceError code), never the message, which may quote input. */
export function errorFields(error: unknown): { error: string; code?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? { error: error.name, code } : { error: error.name };
}
