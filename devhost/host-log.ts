export type HostLogLevel = 'info' | 'warn' | 'error';

/** Where log lines go; stdout/stderr by default, a buffer in tests. */
export type HostLogSink = (level: HostLogLevel, line: string) => void;

/**
 * stdout lines are batched for up to FLUSH_AFTER_MS (or FLUSH_AT_CHARS): writes to a pipe or file
 * are synchronous, and one write per request line cost the host a tenth of its throughput even
 * when batched per event-loop turn. Errors go out at once (after whatever is pending, so the order
 * holds), and everything pending is flushed before the process exits.
 */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_CHARS = 64 * 1024;
let pending: string[] = [];
let pendingChars = 0;
let timer: NodeJS.Timeout | undefined;

function flushStdout(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (pending.length === 0) return;
  const chunk = pending.join('');
  pending = [];
  pendingChars = 0;
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
  pendingChars += line.length + 1;
  if (pendingChars >= FLUSH_AT_CHARS) flushStdout();
  else timer ??= setTimeout(flushStdout, FLUSH_AFTER_MS);
};

/** The host's line for one HTTP request: names, codes and counts only — never headers, query strings or bodies. */
export interface RequestLine {
  function?: string;
  invocationId: string;
  method?: string;
  path: string;
  status: number;
  durationMs: number;
}

let stampMs = Number.NaN;
let stamp = '';

/** ISO 8601 time of now; formatting a Date costs more than the rest of a request line, so one per millisecond. */
function now(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
}

const quotedForms = new Map<string, string>();
const MAX_QUOTED_FORMS = 64;

/** JSON.stringify of a value from a short list (function names, methods); bounded, since a method is the client's to choose. */
function quoted(value: string): string {
  let form = quotedForms.get(value);
  if (form === undefined) {
    form = JSON.stringify(value);
    if (quotedForms.size < MAX_QUOTED_FORMS) quotedForms.set(value, form);
  }
  return form;
}

/**
 * Structured (one JSON object per line) logging for the embedded host; function logs go through the
 * same writer, tagged with function and invocation. Callers pass names, codes and counts only.
 */
export class HostLog {
  constructor(private readonly sink: HostLogSink = standardStreams) {}

  write(level: HostLogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.sink(level, JSON.stringify({ time: now(), level, message, ...fields }));
  }

  /**
   * Written once per request, so composed directly: the same JSON as write() would give (strings
   * through JSON.stringify, so a path can not break out of its field), without an object to
   * serialise. Function names and methods come from a short list, so their quoted forms are kept.
   */
  request(line: RequestLine): void {
    const name = line.function === undefined ? '' : `"function":${quoted(line.function)},`;
    const method = line.method === undefined ? '' : `"method":${quoted(line.method)},`;
    this.sink(
      'info',
      `{"time":"${now()}","level":"info","message":"http.request",${name}"invocationId":${JSON.stringify(line.invocationId)},${method}"path":${JSON.stringify(line.path)},"status":${line.status},"durationMs":${line.durationMs}}`,
    );
  }

  /** A function's own line (context.log and friends), tagged with function and invocation. */
  functionLine(functionName: string, invocationId: string, level: string, args: readonly unknown[]): void {
    const text = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
    const severity = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
    this.write(severity, text, { function: functionName, invocationId });
  }

  /** An InvocationContext log handler (timer invocations use the worker's own context). */
  handlerFor(functionName: string, invocationId: string): (level: string, ...args: unknown[]) => void {
    return (level, ...args) => this.functionLine(functionName, invocationId, level, args);
  }
}
