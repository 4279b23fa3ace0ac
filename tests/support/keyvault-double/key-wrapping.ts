/**
 * Key Vault's wrapKey / unwrapKey on RSA keys (POST /keys/{name}/{version}/wrapkey and /unwrapkey,
 * body `{ alg, value }` with value base64url, answer `{ kid, value }`), as the service documents and
 * answers them:
 * - RSA-OAEP-256 (SHA-256, MGF1-SHA-256), RSA-OAEP (SHA-1) and RSA1_5; anything else, or an EC key,
 *   is 400 BadParameter;
 * - a disabled version: 403 KeyDisabled for both; key_ops without the operation: 403 KeyOperationForbidden;
 * - nbf/exp ("date-time controlled operations"): wrapKey is refused outside the window (403
 *   KeyNotYetValid / KeyExpired), unwrapKey is allowed, as decrypt and verify are;
 * - a value that is not base64url, or a ciphertext that does not decrypt: 400 BadParameter.
 */
import { constants, privateDecrypt, publicEncrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { badParameter, keyDisabled, keyExpired, keyNotYetValid, keyOperationForbidden } from './vault-errors';
import type { VaultAnswer } from './vault-errors';
import { lookup } from './key-operations';
import type { OperationContext } from './key-operations';
import { keyId } from './vault-state';
import type { StoredVersion } from './vault-state';

type Json = Record<string, unknown>;
type WrapAlgorithm = 'RSA-OAEP-256' | 'RSA-OAEP' | 'RSA1_5';
const WRAP_ALGORITHMS: readonly string[] = ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5'];
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function oaepOptions(key: KeyObject, alg: WrapAlgorithm): { key: KeyObject; padding: number; oaepHash?: string } {
  if (alg === 'RSA1_5') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1' };
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2) over the raw RSA operation: Node 20 refuses the
 * padding in privateDecrypt (CVE-2023-46809), Key Vault still offers it. Test double only.
 */
function pkcs1v15Unwrap(key: KeyObject, value: Buffer): Buffer | undefined {
  const em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, value);
  const separator = em.indexOf(0, 2);
  if (em[0] !== 0 || em[1] !== 2 || separator < 10) return undefined;
  return em.subarray(separator + 1);
}

interface WrapRequest {
  stored: StoredVersion;
  alg: WrapAlgorithm;
  value: Buffer;
}

function parseRequest(ctx: OperationContext, name: string, version: string, body: Json, operation: 'wrapKey' | 'unwrapKey'): WrapRequest | VaultAnswer {
  const stored = lookup(ctx, name, version);
  if ('status' in stored) return stored;
  if (!stored.attributes.enabled) return keyDisabled(operation);
  if (operation === 'wrapKey') {
    const { nbf, exp } = stored.attributes;
    if (nbf !== undefined && ctx.nowSeconds < nbf) return keyNotYetValid(operation);
    if (exp !== undefined && ctx.nowSeconds >= exp) return keyExpired(operation);
  }
  if (!stored.keyOps.includes(operation)) return keyOperationForbidden(operation);
  const alg = typeof body.alg === 'string' ? body.alg : '';
  if (!WRAP_ALGORITHMS.includes(alg)) return badParameter(`Invalid algorithm: ${alg}.`);
  if (stored.material.kty !== 'RSA') return badParameter(`The algorithm ${alg} is not valid for this key.`);
  if (typeof body.value !== 'string' || body.value === '' || !BASE64URL.test(body.value)) return badParameter("Content of 'value' is not base64url.\r\nProperty 'value' is required.");
  return { stored, alg: alg as WrapAlgorithm, value: Buffer.from(body.value, 'base64url') };
}

export function wrapKey(ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const request = parseRequest(ctx, name, version, body, 'wrapKey');
  if ('status' in request) return request;
  try {
    const wrapped = publicEncrypt(oaepOptions(request.stored.material.publicKey, request.alg), request.value);
    return { status: 200, body: { kid: keyId(ctx.vaultUrl, request.stored), value: wrapped.toString('base64url') } };
  } catch {
    return badParameter('The value is too long to be wrapped with this key and algorithm.');
  }
}

export function unwrapKey(ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const request = parseRequest(ctx, name, version, body, 'unwrapKey');
  if ('status' in request) return request;
  const { privateKey } = request.stored.material;
  try {
    const unwrapped = request.alg === 'RSA1_5' ? pkcs1v15Unwrap(privateKey, request.value) : privateDecrypt(oaepOptions(privateKey, request.alg), request.value);
    if (!unwrapped) return badParameter('Error occurred while decoding PKCS#1 padding.');
    return { status: 200, body: { kid: keyId(ctx.vaultUrl, request.stored), value: unwrapped.toString('base64url') } };
  } catch {
    return badParameter(request.alg === 'RSA1_5' ? 'Error occurred while decoding PKCS#1 padding.' : 'Error occurred while decoding OAEP padding.');
  }
}
