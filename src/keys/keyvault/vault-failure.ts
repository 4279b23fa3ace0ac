/**
 * The one place a failed Key Vault call becomes the store-independent KeyStoreError. It reads what
 * the SDK gives as data — the RestError's status, the vault's error code and inner error code, the
 * Retry-After header, the error class — never the text of a message. Our own messages are fixed
 * sentences naming the operation, the key and what to do: never the vault's text (it can carry
 * caller ids), a token or key material.
 */
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { KeyStoreError } from '../key-store';

export type VaultOperationName = 'list' | 'get' | 'create' | 'update' | 'sign' | 'verify' | 'wrapKey' | 'unwrapKey';

/** Built-in roles: Crypto User can read, sign, verify, wrap and unwrap; creating and disabling needs Crypto Officer. */
const KEY_ROLE_FOR: Record<VaultOperationName, string> = {
  list: 'Key Vault Crypto User',
  get: 'Key Vault Crypto User',
  sign: 'Key Vault Crypto User',
  verify: 'Key Vault Crypto User',
  wrapKey: 'Key Vault Crypto User',
  unwrapKey: 'Key Vault Crypto User',
  create: 'Key Vault Crypto Officer',
  update: 'Key Vault Crypto Officer',
};

/** HS* secrets: Secrets User reads them; creating versions and disabling them needs Secrets Officer. */
const SECRET_ROLE_FOR: Record<VaultOperationName, string> = {
  list: 'Key Vault Secrets User',
  get: 'Key Vault Secrets User',
  sign: 'Key Vault Secrets User',
  verify: 'Key Vault Secrets User',
  wrapKey: 'Key Vault Secrets User',
  unwrapKey: 'Key Vault Secrets User',
  create: 'Key Vault Secrets Officer',
  update: 'Key Vault Secrets Officer',
};

/**
 * `error.innererror.code` values of a 403 that mean the version's state, not a missing role. Key
 * Vault names a disabled key or secret this way; the nbf/exp codes are read when a vault sends them
 * (the adapter checks nbf/exp itself before calling, from the attributes it holds).
 */
const STATE_CODES: Record<string, 'disabled' | 'not_yet_valid' | 'expired'> = {
  KeyDisabled: 'disabled',
  SecretDisabled: 'disabled',
  KeyNotYetValid: 'not_yet_valid',
  KeyExpired: 'expired',
};

/** @azure/identity's errors when no token could be had (matched by class name, which is API). */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError']);

export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** The code our per-attempt deadline gives the RestError it raises (see vault-calls.ts). */
export const ATTEMPT_TIMED_OUT = 'KVJWT_ATTEMPT_TIMEOUT';

export interface FailureSubject {
  operation: VaultOperationName;
  keyName: string;
  version?: string;
  /** A key (default) or an HMAC secret: decides the wording and the role a 403 names. */
  resource?: 'key' | 'secret';
}

const describe = (subject: FailureSubject): string => {
  const noun = subject.resource === 'secret' ? 'secret' : 'key';
  return subject.version ? `version ${subject.version} of ${noun} '${subject.keyName}'` : `${noun} '${subject.keyName}'`;
};

/** Seconds the vault asked us to wait (Retry-After as seconds or an HTTP date), when it did. */
export function retryAfterSeconds(error: RestError, nowMs: number): number | undefined {
  const raw = error.response?.headers.get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  // An HTTP-date names its day; V8's Date.parse would also read a number such as "-3" as a year.
  const date = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

function innerCode(error: RestError): string | undefined {
  const details = error.details as { error?: { innerError?: { code?: unknown } } } | undefined;
  const code = details?.error?.innerError?.code;
  return typeof code === 'string' ? code : undefined;
}

function forbidden(error: RestError, subject: FailureSubject, cause: unknown): KeyStoreError {
  const what = describe(subject);
  const inner = innerCode(error);
  // The version does not allow the operation (its key_ops): the key's definition, not a role.
  if (inner === 'KeyOperationForbidden') return new KeyStoreError('bad_parameter', `Key Vault refused to ${subject.operation} with ${what}: its key_ops do not allow it.`, { cause });
  const state = STATE_CODES[inner ?? ''];
  if (state === 'disabled') return new KeyStoreError('disabled', `Key Vault refused to ${subject.operation} with ${what}: the version is disabled.`, { cause });
  if (state === 'not_yet_valid') return new KeyStoreError('not_yet_valid', `Key Vault refused to ${subject.operation} with ${what}: it is not valid yet (nbf).`, { cause });
  if (state === 'expired') return new KeyStoreError('expired', `Key Vault refused to ${subject.operation} with ${what}: it has expired (exp).`, { cause });
  const role = (subject.resource === 'secret' ? SECRET_ROLE_FOR : KEY_ROLE_FOR)[subject.operation];
  return new KeyStoreError('forbidden', `Key Vault denied '${subject.operation}' on ${what}: grant this app's managed identity the '${role}' role on the vault (or the key).`, {
    retryAfterSeconds: 60,
    cause,
  });
}

/** True for failures another attempt may cure: 408, 429, 5xx (but 501/505), no answer at all, our deadline. */
export function isTransient(error: unknown): boolean {
  if (!isRestError(error)) return false;
  const status = error.statusCode;
  if (status === undefined) return true; // connection refused or reset, DNS, TLS, our per-attempt deadline
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

export function toKeyStoreError(error: unknown, subject: FailureSubject, nowMs: number): KeyStoreError {
  const what = describe(subject);
  if (error instanceof KeyStoreError) return error;
  const retryAfter = isRestError(error) ? retryAfterSeconds(error, nowMs) ?? DEFAULT_RETRY_AFTER_SECONDS : DEFAULT_RETRY_AFTER_SECONDS;
  const options = { retryAfterSeconds: retryAfter, cause: error };
  if (error instanceof Error && error.name === 'AbortError') {
    return new KeyStoreError('unavailable', `Key Vault did not answer '${subject.operation}' on ${what} in time.`, options);
  }
  if (error instanceof Error && CREDENTIAL_ERRORS.has(error.name)) {
    return new KeyStoreError('unavailable', 'No access token for Key Vault: the managed identity (or az login for local development) could not provide one.', options);
  }
  if (!isRestError(error)) return new KeyStoreError('unavailable', `Key Vault '${subject.operation}' on ${what} failed unexpectedly.`, options);
  if (error.code === ATTEMPT_TIMED_OUT) return new KeyStoreError('unavailable', `Key Vault did not answer '${subject.operation}' on ${what} in time.`, options);
  switch (error.statusCode) {
    case undefined:
      return new KeyStoreError('unavailable', `Key Vault could not be reached for '${subject.operation}' on ${what}.`, options);
    case 400:
      return new KeyStoreError('bad_parameter', `Key Vault rejected the parameters of '${subject.operation}' on ${what}.`, { cause: error });
    case 401:
      return new KeyStoreError('forbidden', `Key Vault did not accept this app's token for '${subject.operation}' on ${what}: check the vault's tenant and the identity.`, { cause: error });
    case 403:
      return forbidden(error, subject, error);
    case 404:
      return new KeyStoreError('not_found', `Key Vault has no ${what}.`, { cause: error });
    case 429:
      return new KeyStoreError('throttled', `Key Vault is throttling '${subject.operation}' on ${what}.`, options);
    default:
      return new KeyStoreError('unavailable', `Key Vault answered ${error.statusCode} to '${subject.operation}' on ${what}.`, options);
  }
}
