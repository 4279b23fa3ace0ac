export type HostLogLevel = 'info' | 'warn' | 'error';

/** Where log lines go; stdout/stderr by default, a buffer in tests. */
export type HostLogSink = (level: HostLogLevel, line: string) => void;

/**
 * stdout lines are batched per turn of the event loop: writes to a pipe are synchronous on Linux,
 * and one write per request line halved the host's throughput. Errors go out at once, and whatever
 * is pending is flushed before the process exits.
 */
let pending: string[] = [];
let scheduled = false;

function flushStdout(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const chunk = pending.join('');
  pending = [];
  process.stdout.write(chunk);
}

process.on('exit', flushStdout);

const standardStreams: HostLogSink = (level, line) => {
  if (level === 'error') {
    flushStdout();
    process.stderr.write(`${line}\n`);
    return;
  }
  pending.push(`${line}\n`);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushStdout);
  }
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
