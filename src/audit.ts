import { createHmac } from 'node:crypto';

/** Operations that produce one audit event each. */
export type AuditOperation = 'sign' | 'verify' | 'revoke' | 'rotate' | 'auth';

export interface AuditEvent {
  operation: AuditOperation;
  outcome: 'success' | 'failure' | 'refused';
  caller?: string;
  kid?: string;
  jti?: string;
  /** A keyed hash of `sub` (see SubjectHasher): correlates events without logging who the subject is. */
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

/** Turns a subject into the `subHash` of audit events; undefined for a missing or non-string subject. */
export type SubjectHasher = (sub: unknown) => string | undefined;

/**
 * HMAC-SHA-256 of the subject under a per-deployment key (from Key Vault in Azure, from the
 * embedded store locally), truncated to 128 bits. An unkeyed hash of a subject can be reversed with
 * a dictionary of likely subjects (e-mail addresses, employee ids) by anyone who reads the logs;
 * this one only by someone who also holds the key.
 */
export function keyedSubjectHasher(key: Buffer): SubjectHasher {
  return (sub) => (typeof sub === 'string' ? createHmac('sha256', key).update(sub).digest('base64url').slice(0, 22) : undefined);
}

export function audit(logger: Logger, event: AuditEvent): void {
  logger.log(event.outcome === 'success' ? 'info' : 'warn', `audit.${event.operation}`, { audit: true, ...event });
}
