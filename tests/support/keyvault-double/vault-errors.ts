/** Key Vault's error answers: `{ "error": { "code", "message", "innererror"?: { "code" } } }`. */

export interface VaultAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function vaultError(status: number, code: string, message: string, innerCode?: string): VaultAnswer {
  return { status, body: { error: { code, message, ...(innerCode ? { innererror: { code: innerCode } } : {}) } } };
}

export const keyNotFound = (name: string, version?: string): VaultAnswer =>
  vaultError(404, 'KeyNotFound', `A key with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

export const badParameter = (message: string): VaultAnswer => vaultError(400, 'BadParameter', message);

/** A missing role assignment (RBAC) or access policy, as Key Vault words it. */
export const forbiddenByRbac = (action: string): VaultAnswer =>
  vaultError(403, 'Forbidden', `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nAction: 'Microsoft.KeyVault/vaults/keys/${action}/action'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'`, 'ForbiddenByRbac');

export const keyDisabled = (operation: string): VaultAnswer =>
  vaultError(403, 'Forbidden', `Operation ${operation} is not allowed on a disabled key.`, 'KeyDisabled');

export const keyNotYetValid = (operation: string): VaultAnswer =>
  vaultError(403, 'Forbidden', `Operation ${operation} is not allowed: the key is not yet valid (nbf is in the future).`, 'KeyNotYetValid');

export const keyExpired = (operation: string): VaultAnswer =>
  vaultError(403, 'Forbidden', `Operation ${operation} is not allowed: the key has expired (exp is in the past).`, 'KeyExpired');

/** The version's key_ops do not include the operation (e.g. unwrapKey on a sign/verify key). */
export const keyOperationForbidden = (operation: string): VaultAnswer =>
  vaultError(403, 'Forbidden', `Operation ${operation} is not permitted on this key.`, 'KeyOperationForbidden');

export const throttled = (): VaultAnswer =>
  vaultError(429, 'Throttled', 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached');

export const serverError = (status: number): VaultAnswer =>
  vaultError(status, status === 503 ? 'ServiceUnavailable' : 'InternalServerError', 'The service is temporarily unable to process the request.');
