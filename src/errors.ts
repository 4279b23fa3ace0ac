/**
 * The one closed list of error codes this service answers with. Codes are part of the public
 * contract: clients branch on them, so never rename one; add new ones at the end of a group.
 * Each code carries its HTTP status so the mapping to problem+json happens in exactly one place.
 */
export const ERROR_STATUS = {
  // 400: the request itself is wrong
  invalid_request: 400,
  invalid_json: 400,
  invalid_claims: 400,
  reserved_claim: 400,
  invalid_ttl: 400,
  invalid_dpop_proof: 400, // a DPoP proof sent to sign failed a check of RFC 9449 §4.3 (the message says which)
  // 401 / 403: who is calling
  unauthorized: 401,
  forbidden: 403,
  audience_not_allowed: 403,
  ttl_not_allowed: 403,
  claim_not_allowed: 403,
  loopback_only: 403,
  binding_required: 403, // the caller's policy says its tokens must be bound (a certificate or a DPoP key)
  encryption_required: 403, // the caller's policy says its tokens for this audience must be encrypted
  // other client errors
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // the service or what it depends on
  key_store_unavailable: 503,
  key_store_forbidden: 503,
  no_active_key: 503,
  revocation_unavailable: 503,
  replay_cache_unavailable: 503, // the shared DPoP replay table could not be asked: a proof is never taken unchecked
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ServiceErrorOptions {
  /** Seconds a client should wait before retrying (503 answers). */
  retryAfterSeconds?: number;
  /** Extra, non-secret fields for the problem document (e.g. `setting`, `role`). */
  details?: Record<string, string | number | boolean>;
  cause?: unknown;
}

/**
 * An error with a stable code. Its message is shown to clients, so it must never contain a token,
 * a secret or key material: callers pass fixed sentences and names of settings, nothing echoed back.
 */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}

/** Raised at start-up when a setting is missing or invalid; the message names the setting. */
export class ConfigError extends Error {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

/** RFC 9457 problem document. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  [extension: string]: string | number | boolean;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function toProblem(error: ServiceError): ProblemDocument {
  return {
    ...(error.details ?? {}),
    type: `urn:kv-jwt:error:${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.message,
  };
}

/**
 * Anything that is not a ServiceError is a bug or an outage we did not classify: the client gets a
 * generic 500 without internals, the log gets the name of the error class (never its message,
 * which may quote input).
 */
export function toServiceError(error: unknown): ServiceError {
  if (isServiceError(error)) return error;
  return new ServiceError('internal_error', 'An unexpected error occurred.', { cause: error });
}
