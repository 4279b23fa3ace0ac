/**
 * Reads what a failed Key Vault call tells us, whatever threw it: the SDK's RestError (status, the
 * vault's error code and inner code, Retry-After), an abort (our timeout), a network error, or the
 * credential failing to get a token. Duck-typed so the adapter needs no undeclared dependency.
 */

export type VaultErrorKind =
  | 'http' // the vault answered with an error status
  | 'timeout' // our per-call deadline fired
  | 'network' // connection refused, reset, TLS failure...
  | 'credential' // no token could be obtained
  | 'challenge' // the vault's challenge did not match its host (emulators)
  | 'local_validity' // the SDK refused before calling: outside nbf/exp by its own clock
  | 'key_ops' // the SDK refused before calling: the key's key_ops lack the operation
  | 'other';

export interface VaultErrorInfo {
  kind: VaultErrorKind;
  status?: number;
  /** The vault's `error.code` (e.g. Forbidden, KeyNotFound, Throttled, BadParameter). */
  code?: string;
  /** The vault's `error.innererror.code` (e.g. KeyDisabled). */
  innerCode?: string;
  /** The vault's own message, for classification only: it is never copied into our messages. */
  vaultMessage: string;
  retryAfterSeconds?: number;
}

type Indexable = Record<string, unknown>;
const isIndexable = (value: unknown): value is Indexable => typeof value === 'object' && value !== null;
const stringField = (value: Indexable, field: string): string | undefined => (typeof value[field] === 'string' ? value[field] : undefined);

function parseBody(response: Indexable): { code?: string; innerCode?: string; message?: string } {
  const text = stringField(response, 'bodyAsText');
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    const error = isIndexable(parsed) && isIndexable(parsed.error) ? parsed.error : undefined;
    if (!error) return {};
    // Key Vault writes `innererror`; some SDK layers re-serialise it as `innerError`.
    const innerSource = error.innererror ?? error.innerError;
    const inner = isIndexable(innerSource) ? stringField(innerSource, 'code') : undefined;
    return { code: stringField(error, 'code'), innerCode: inner, message: stringField(error, 'message') };
  } catch {
    return {};
  }
}

function retryAfterFrom(response: Indexable): number | undefined {
  const headers = response.headers;
  if (!isIndexable(headers) || typeof headers.get !== 'function') return undefined;
  const raw: unknown = (headers.get as (name: string) => unknown).call(headers, 'retry-after');
  if (typeof raw !== 'string') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'REQUEST_SEND_ERROR', 'UND_ERR_SOCKET']);

export function describeVaultError(error: unknown): VaultErrorInfo {
  if (!(error instanceof Error)) return { kind: 'other', vaultMessage: String(error) };
  const fields = error as unknown as Indexable;
  const message = error.message;
  if (error.name === 'AbortError') return { kind: 'timeout', vaultMessage: message };
  if (error.name === 'CredentialUnavailableError' || error.name === 'AuthenticationError' || error.name === 'AggregateAuthenticationError') {
    return { kind: 'credential', vaultMessage: message };
  }
  if (/challenge resource .* does not match/i.test(message)) return { kind: 'challenge', vaultMessage: message };
  if (/can't be used before|expired at/i.test(message) && !('statusCode' in fields)) {
    return { kind: 'local_validity', vaultMessage: message };
  }
  if (/Operation \w+ is not supported on key/i.test(message) && !('statusCode' in fields)) {
    return { kind: 'key_ops', vaultMessage: message };
  }
  const status = typeof fields.statusCode === 'number' ? fields.statusCode : undefined;
  if (status !== undefined) {
    const response = isIndexable(fields.response) ? fields.response : {};
    const body = parseBody(response);
    return {
      kind: 'http',
      status,
      code: body.code ?? stringField(fields, 'code'),
      innerCode: body.innerCode,
      vaultMessage: body.message ?? message,
      retryAfterSeconds: retryAfterFrom(response),
    };
  }
  const code = stringField(fields, 'code');
  const causeCode = isIndexable(error.cause) ? stringField(error.cause, 'code') : undefined;
  if ((code && NETWORK_CODES.has(code)) || (causeCode && NETWORK_CODES.has(causeCode)) || /socket hang up|ECONN|certificate/i.test(message)) {
    return { kind: 'network', vaultMessage: message };
  }
  return { kind: 'other', vaultMessage: message };
}

/** 429, 5xx (but 501/505), timeouts and network failures are worth another try. */
export function isTransient(info: VaultErrorInfo): boolean {
  if (info.kind === 'timeout' || info.kind === 'network') return true;
  if (info.kind !== 'http' || info.status === undefined) return false;
  return info.status === 408 || info.status === 429 || (info.status >= 500 && info.status !== 501 && info.status !== 505);
}
