import { createHash } from 'node:crypto';

/** Operations that produce one audit event each. */
export type AuditOperation = 'sign' | 'verify' | 'revoke' | 'rotate' | 'auth';

export interface AuditEvent {
  operation: AuditOperation;
  outcome: 'success' | 'failure' | 'refused';
  caller?: string;
  kid?: string;
  jti?: string;
  /** sha-256 of `sub`, truncated: correlates events without logging who the subject is. */
  subHash?: string;
  code?: string;
  detail?: string;
}

export type LogLevel = 'info' | 'warn' | 'error';

/**
 * Structured log sink. In Functions it writes through the invocation context; in the embedded host
 * to stdout. Nothing written here may contain a token, a secret or key material.
 */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  log(level, message, fields) {
    const line = JSON.stringify({ level, message, ...fields });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  },
};

export const silentLogger: Logger = { log: () => undefined };

export function hashSubject(sub: unknown): string | undefined {
  if (typeof sub !== 'string') return undefined;
  return createHash('sha256').update(sub).digest('base64url').slice(0, 16);
}

export function audit(logger: Logger, event: AuditEvent): void {
  logger.log(event.outcome === 'success' ? 'info' : 'warn', `audit.${event.operation}`, { audit: true, ...event });
}
