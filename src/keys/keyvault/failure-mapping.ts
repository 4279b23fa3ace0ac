/**
 * Maps a failed Key Vault call to the store-independent KeyStoreError. Messages are fixed
 * sentences naming the operation, the key and what to do — never the vault's own text (it can
 * carry caller ids), a token or key material.
 */
import { KeyStoreError } from '../key-store';
import type { VaultErrorInfo } from './vault-error';

export type VaultOperationName = 'list' | 'get' | 'create' | 'update' | 'sign' | 'verify';

/** Built-in roles: Crypto User can read, sign and verify; creating and disabling needs Crypto Officer. */
const KEY_ROLE_FOR: Record<VaultOperationName, string> = {
  list: 'Key Vault Crypto User',
  get: 'Key Vault Crypto User',
  sign: 'Key Vault Crypto User',
  verify: 'Key Vault Crypto User',
  create: 'Key Vault Crypto Officer',
  update: 'Key Vault Crypto Officer',
};

/** HS* secrets: Secrets User reads them; creating versions and disabling them needs Secrets Officer. */
const SECRET_ROLE_FOR: Record<VaultOperationName, string> = {
  list: 'Key Vault Secrets User',
  get: 'Key Vault Secrets User',
  sign: 'Key Vault Secrets User',
  verify: 'Key Vault Secrets User',
  create: 'Key Vault Secrets Officer',
  update: 'Key Vault Secrets Officer',
};

export const DEFAULT_RETRY_AFTER_SECONDS = 5;

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

function forbiddenFailure(info: VaultErrorInfo, subject: FailureSubject): KeyStoreError {
  const what = describe(subject);
  const evidence = `${info.innerCode ?? ''} ${info.vaultMessage}`;
  if (info.innerCode === 'KeyDisabled' || info.innerCode === 'SecretDisabled' || /disabled (key|secret)/i.test(evidence)) {
    return new KeyStoreError('disabled', `Key Vault refused to ${subject.operation} with ${what}: the version is disabled.`);
  }
  if (/not ?yet ?valid|\bnbf\b/i.test(evidence)) {
    return new KeyStoreError('not_yet_valid', `Key Vault refused to ${subject.operation} with ${what}: it is not valid yet (nbf).`);
  }
  if (/expired/i.test(evidence)) {
    return new KeyStoreError('expired', `Key Vault refused to ${subject.operation} with ${what}: it has expired (exp).`);
  }
  const role = (subject.resource === 'secret' ? SECRET_ROLE_FOR : KEY_ROLE_FOR)[subject.operation];
  return new KeyStoreError(
    'forbidden',
    `Key Vault denied '${subject.operation}' on ${what}: grant this app's managed identity the '${role}' role on the vault (or the key).`,
    { retryAfterSeconds: 60 },
  );
}

export function toKeyStoreError(info: VaultErrorInfo, subject: FailureSubject, cause: unknown): KeyStoreError {
  const what = describe(subject);
  const retryAfterSeconds = info.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  switch (info.kind) {
    case 'timeout':
      return new KeyStoreError('unavailable', `Key Vault did not answer '${subject.operation}' on ${what} in time.`, { retryAfterSeconds, cause });
    case 'network':
      return new KeyStoreError('unavailable', `Key Vault could not be reached for '${subject.operation}' on ${what}.`, { retryAfterSeconds, cause });
    case 'credential':
      return new KeyStoreError('unavailable', 'No access token for Key Vault: the managed identity (or az login for local development) could not provide one.', { retryAfterSeconds, cause });
    case 'challenge':
      return new KeyStoreError('forbidden', "Key Vault's authentication challenge names a resource that does not match the vault's host; for an emulator set KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true.", { cause });
    case 'local_validity':
      return /expired/i.test(info.vaultMessage)
        ? new KeyStoreError('expired', `${what} has expired (exp).`, { cause })
        : new KeyStoreError('not_yet_valid', `${what} is not valid yet (nbf).`, { cause });
    case 'key_ops':
      return new KeyStoreError('bad_parameter', `${what} does not allow '${subject.operation}' (its key_ops); create versions with sign and verify.`, { cause });
    case 'other':
      return new KeyStoreError('unavailable', `Key Vault '${subject.operation}' on ${what} failed unexpectedly.`, { retryAfterSeconds, cause });
    case 'http':
      break;
  }
  const status = info.status ?? 0;
  if (status === 403) return withCause(forbiddenFailure(info, subject), cause);
  if (status === 401) return new KeyStoreError('forbidden', `Key Vault did not accept this app's token for '${subject.operation}' on ${what}: check the vault's tenant and the identity.`, { cause });
  if (status === 404) return new KeyStoreError('not_found', `Key Vault has no ${what}.`, { cause });
  if (status === 400) return new KeyStoreError('bad_parameter', `Key Vault rejected the parameters of '${subject.operation}' on ${what}.`, { cause });
  if (status === 429) return new KeyStoreError('throttled', `Key Vault is throttling '${subject.operation}' on ${what}.`, { retryAfterSeconds, cause });
  return new KeyStoreError('unavailable', `Key Vault answered ${status} to '${subject.operation}' on ${what}.`, { retryAfterSeconds, cause });
}

function withCause(error: KeyStoreError, cause: unknown): KeyStoreError {
  return new KeyStoreError(error.failure, error.message, { retryAfterSeconds: error.retryAfterSeconds, cause });
}
