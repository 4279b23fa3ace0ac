/**
 * The data-plane operations on keys, as pure handlers over the vault state: create, get, list
 * versions (paged by an absolute nextLink with $skiptoken), update, rotate, sign and verify.
 */
import { badParameter, keyDisabled, keyExpired, keyNotFound, keyNotYetValid } from './vault-errors';
import type { VaultAnswer } from './vault-errors';
import { signAlgorithmInfo, signDigestWith, verifyDigestWith } from './digest-signing';
import type { CurveName, SignAlgorithm } from './digest-signing';
import { keyBundleJson, keyId, versionItemJson } from './vault-state';
import type { CreateKeyRequest, StoredVersion, VaultState } from './vault-state';

export interface OperationContext {
  state: VaultState;
  vaultUrl: string;
  apiVersion: string;
  pageSize: number;
  nowSeconds: number;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const CURVES: readonly string[] = ['P-256', 'P-384', 'P-521'];

function tagsOf(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function parseCreate(body: Json): CreateKeyRequest | VaultAnswer {
  const kty = typeof body.kty === 'string' ? body.kty.replace(/-HSM$/, '') : undefined;
  if (kty !== 'RSA' && kty !== 'EC') return badParameter(`The parameter kty is invalid: ${String(body.kty)}.`);
  const attributes = isRecord(body.attributes) ? body.attributes : {};
  const crv = typeof body.crv === 'string' ? body.crv : undefined;
  if (kty === 'EC' && crv !== undefined && !CURVES.includes(crv)) return badParameter(`The parameter crv is invalid: ${crv}.`);
  const keySize = optionalNumber(body.key_size);
  if (kty === 'RSA' && keySize !== undefined && ![2048, 3072, 4096].includes(keySize)) return badParameter('The parameter key_size is invalid.');
  return {
    kty,
    keySize,
    crv: crv as CurveName | undefined,
    keyOps: Array.isArray(body.key_ops) ? body.key_ops.filter((op): op is string => typeof op === 'string') : ['sign', 'verify', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
    enabled: typeof attributes.enabled === 'boolean' ? attributes.enabled : undefined,
    nbf: optionalNumber(attributes.nbf),
    exp: optionalNumber(attributes.exp),
    tags: tagsOf(body.tags),
  };
}

export async function createKey(ctx: OperationContext, name: string, body: Json): Promise<VaultAnswer> {
  if (!KEY_NAME.test(name)) return badParameter('The key name is invalid.');
  const request = parseCreate(body);
  if ('status' in request) return request;
  const stored = await ctx.state.create(name, request, ctx.nowSeconds);
  return { status: 200, body: keyBundleJson(ctx.vaultUrl, stored) };
}

export async function rotateKey(ctx: OperationContext, name: string): Promise<VaultAnswer> {
  const current = ctx.state.latest(name);
  if (!current) return keyNotFound(name);
  const stored = await ctx.state.create(
    name,
    { kty: current.material.kty, keySize: current.keySize, crv: current.material.crv, keyOps: current.keyOps, tags: current.tags },
    ctx.nowSeconds,
  );
  return { status: 200, body: keyBundleJson(ctx.vaultUrl, stored) };
}

export function lookup(ctx: OperationContext, name: string, version: string): StoredVersion | VaultAnswer {
  const stored = version === '' ? ctx.state.latest(name) : ctx.state.find(name, version);
  return stored ?? keyNotFound(name, version || undefined);
}

export function getKey(ctx: OperationContext, name: string, version: string): VaultAnswer {
  const stored = lookup(ctx, name, version);
  if ('status' in stored) return stored;
  return { status: 200, body: keyBundleJson(ctx.vaultUrl, stored) };
}

export function listVersions(ctx: OperationContext, name: string, query: URLSearchParams): VaultAnswer {
  const versions = ctx.state.listByVersionId(name);
  if (!versions) return keyNotFound(name);
  const requested = Number(query.get('maxresults') ?? ctx.pageSize);
  if (!Number.isInteger(requested) || requested < 1 || requested > 25) return badParameter('maxresults must be between 1 and 25.');
  const pageSize = Math.min(requested, ctx.pageSize);
  const skiptoken = query.get('$skiptoken');
  const offset = skiptoken ? Number(Buffer.from(skiptoken, 'base64url').toString('utf8').replace(/^offset:/, '')) : 0;
  if (!Number.isInteger(offset) || offset < 0) return badParameter('The $skiptoken is invalid.');
  const page = versions.slice(offset, offset + pageSize);
  const next = offset + pageSize < versions.length
    ? `${ctx.vaultUrl}/keys/${name}/versions?api-version=${ctx.apiVersion}&$skiptoken=${Buffer.from(`offset:${offset + pageSize}`).toString('base64url')}&maxresults=${pageSize}`
    : null;
  return { status: 200, body: { value: page.map((v) => versionItemJson(ctx.vaultUrl, v)), nextLink: next } };
}

export function updateKey(ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const stored = lookup(ctx, name, version);
  if ('status' in stored) return stored;
  const attributes = isRecord(body.attributes) ? body.attributes : {};
  if (typeof attributes.enabled === 'boolean') stored.attributes.enabled = attributes.enabled;
  if ('nbf' in attributes) stored.attributes.nbf = optionalNumber(attributes.nbf);
  if ('exp' in attributes) stored.attributes.exp = optionalNumber(attributes.exp);
  const tags = tagsOf(body.tags);
  if (tags) stored.tags = tags;
  if (Array.isArray(body.key_ops)) stored.keyOps = body.key_ops.filter((op): op is string => typeof op === 'string');
  stored.attributes.updated = ctx.nowSeconds;
  return { status: 200, body: keyBundleJson(ctx.vaultUrl, stored) };
}

interface DigestRequest {
  alg: SignAlgorithm;
  digest: Buffer;
}

function parseDigestRequest(body: Json, digestField: 'value' | 'digest', stored: StoredVersion): DigestRequest | VaultAnswer {
  const alg = typeof body.alg === 'string' ? body.alg : '';
  const info = signAlgorithmInfo(alg);
  if (!info) return badParameter(`Invalid algorithm: ${alg}.`);
  const expectedKty = info.scheme === 'ecdsa' ? 'EC' : 'RSA';
  if (stored.material.kty !== expectedKty || (info.curve && info.curve !== stored.material.crv)) {
    return badParameter(`The algorithm ${alg} is not valid for this key.`);
  }
  const raw = body[digestField];
  const digest = typeof raw === 'string' ? Buffer.from(raw, 'base64url') : Buffer.alloc(0);
  if (digest.length !== info.digestLength) return badParameter(`Invalid digest length ${digest.length} for algorithm ${alg}.`);
  return { alg: alg as SignAlgorithm, digest };
}

export function signDigest(ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const stored = lookup(ctx, name, version);
  if ('status' in stored) return stored;
  const { enabled, nbf, exp } = stored.attributes;
  if (!enabled) return keyDisabled('sign');
  if (nbf !== undefined && ctx.nowSeconds < nbf) return keyNotYetValid('sign');
  if (exp !== undefined && ctx.nowSeconds >= exp) return keyExpired('sign');
  if (!stored.keyOps.includes('sign')) return badParameter('Operation sign is not permitted for this key (key_ops).');
  const request = parseDigestRequest(body, 'value', stored);
  if ('status' in request) return request;
  const signature = signDigestWith(stored.material, request.alg, request.digest);
  return { status: 200, body: { kid: keyId(ctx.vaultUrl, stored), value: signature.toString('base64url') } };
}

/** Verify stays allowed on disabled, not-yet-valid and expired versions (old tokens must still check). */
export function verifyDigest(ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const stored = lookup(ctx, name, version);
  if ('status' in stored) return stored;
  const request = parseDigestRequest(body, 'digest', stored);
  if ('status' in request) return request;
  const signature = typeof body.value === 'string' ? Buffer.from(body.value, 'base64url') : Buffer.alloc(0);
  return { status: 200, body: { value: verifyDigestWith(stored.material, request.alg, request.digest, signature) } };
}
