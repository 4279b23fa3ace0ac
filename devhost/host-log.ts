/** Structured stdout logging for the embedded host; function logs go through the same writer. */
export class HostLog {
  write(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
    if (level === 'error') process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
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
