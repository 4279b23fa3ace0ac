export type HostLogLevel = 'info' | 'warn' | 'error';

/** Where log lines go; stdout/stderr by default, a buffer in tests. */
export type HostLogSink = (level: HostLogLevel, line: string) => void;

const standardStreams: HostLogSink = (level, line) => {
  if (level === 'error') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

/**
 * Structured (one JSON object per line) logging for the embedded host; function logs go through the
 * same writer, tagged with function and invocation. Callers pass names, codes and counts only.
 */
export class HostLog {
  constructor(private readonly sink: HostLogSink = standardStreams) {}

  write(level: HostLogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.sink(level, JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  }

  /** An InvocationContext log handler: the function's own lines, tagged with function and invocation. */
  handlerFor(functionName: string, invocationId: string): (level: string, ...args: unknown[]) => void {
    return (level, ...args) => {
      const text = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
      const severity = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
      this.write(severity, text, { function: functionName, invocationId });
    };
  }
}
