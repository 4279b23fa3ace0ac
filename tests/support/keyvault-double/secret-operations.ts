/**
 * The secrets part of the Key Vault data plane (api-version 7.5+), as the double serves it: set
 * (PUT /secrets/{name}), get a version, list versions (paged by an absolute nextLink with
 * $skiptoken, newest-id order not guaranteed), update attributes (PATCH). A disabled secret's value
 * is refused with 403 Forbidden / SecretDisabled, like the real service.
 */
import { randomBytes } from 'node:crypto';
import { badParameter, vaultError } from './vault-errors';
import type { VaultAnswer } from './vault-errors';
import type { OperationContext } from './key-operations';
import type { VaultOperation } from './faults';

interface StoredSecret {
  version: string;
  value: string;
  contentType?: string;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  tags?: Record<string, string>;
}

type Json = Record<string, unknown>;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Secrets by name; versions kept in creation order. */
export class SecretState {
  readonly secrets = new Map<string, StoredSecret[]>();
}

const secretNotFound = (name: string, version?: string): VaultAnswer =>
  vaultError(404, 'SecretNotFound', `A secret with (name/id) ${name}${version ? `/${version}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

function attributes(secret: StoredSecret): Json {
  return {
    enabled: secret.enabled,
    ...(secret.nbf !== undefined ? { nbf: secret.nbf } : {}),
    ...(secret.exp !== undefined ? { exp: secret.exp } : {}),
    created: secret.created,
    updated: secret.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
}

function item(ctx: OperationContext, name: string, secret: StoredSecret): Json {
  return {
    id: `${ctx.vaultUrl}/secrets/${name}/${secret.version}`,
    attributes: attributes(secret),
    ...(secret.contentType ? { contentType: secret.contentType } : {}),
    ...(secret.tags ? { tags: secret.tags } : {}),
  };
}

function bundle(ctx: OperationContext, name: string, secret: StoredSecret, withValue: boolean): Json {
  return { ...(withValue ? { value: secret.value } : {}), ...item(ctx, name, secret) };
}

export function setSecret(state: SecretState, ctx: OperationContext, name: string, body: Json): VaultAnswer {
  if (!NAME.test(name)) return badParameter('The secret name is invalid.');
  if (typeof body.value !== 'string') return badParameter('The parameter value is required.');
  const attrs = isRecord(body.attributes) ? body.attributes : {};
  const secret: StoredSecret = {
    version: randomBytes(16).toString('hex'),
    value: body.value,
    contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
    enabled: typeof attrs.enabled === 'boolean' ? attrs.enabled : true,
    nbf: typeof attrs.nbf === 'number' ? attrs.nbf : undefined,
    exp: typeof attrs.exp === 'number' ? attrs.exp : undefined,
    created: ctx.nowSeconds,
    updated: ctx.nowSeconds,
    tags: isRecord(body.tags) ? (Object.fromEntries(Object.entries(body.tags).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : undefined,
  };
  state.secrets.set(name, [...(state.secrets.get(name) ?? []), secret]);
  return { status: 200, body: bundle(ctx, name, secret, true) };
}

function find(state: SecretState, name: string, version: string): StoredSecret | undefined {
  const versions = state.secrets.get(name) ?? [];
  return version === '' ? versions[versions.length - 1] : versions.find((v) => v.version === version);
}

export function getSecret(state: SecretState, ctx: OperationContext, name: string, version: string): VaultAnswer {
  const secret = find(state, name, version);
  if (!secret) return secretNotFound(name, version || undefined);
  if (!secret.enabled) return vaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  return { status: 200, body: bundle(ctx, name, secret, true) };
}

export function listSecretVersions(state: SecretState, ctx: OperationContext, name: string, query: URLSearchParams): VaultAnswer {
  const versions = state.secrets.get(name);
  if (!versions) return secretNotFound(name);
  // Like the service: ordered by version id, not by creation time.
  const ordered = [...versions].sort((a, b) => (a.version < b.version ? -1 : 1));
  const start = Number(query.get('$skiptoken') ?? '0');
  const page = ordered.slice(start, start + ctx.pageSize);
  const next = start + ctx.pageSize < ordered.length ? `${ctx.vaultUrl}/secrets/${name}/versions?api-version=${ctx.apiVersion}&$skiptoken=${start + ctx.pageSize}` : null;
  return { status: 200, body: { value: page.map((s) => item(ctx, name, s)), nextLink: next } };
}

export function updateSecret(state: SecretState, ctx: OperationContext, name: string, version: string, body: Json): VaultAnswer {
  const secret = find(state, name, version);
  if (!secret || version === '') return secretNotFound(name, version || undefined);
  const attrs = isRecord(body.attributes) ? body.attributes : {};
  if (typeof attrs.enabled === 'boolean') secret.enabled = attrs.enabled;
  if (typeof attrs.nbf === 'number') secret.nbf = attrs.nbf;
  if (typeof attrs.exp === 'number') secret.exp = attrs.exp;
  if (isRecord(body.tags)) secret.tags = body.tags as Record<string, string>;
  if (typeof body.contentType === 'string') secret.contentType = body.contentType;
  secret.updated = ctx.nowSeconds;
  return { status: 200, body: bundle(ctx, name, secret, false) };
}

export interface SecretRoute {
  operation: VaultOperation;
  run: (ctx: OperationContext, body: Json, query: URLSearchParams) => VaultAnswer;
}

/** Routes `/secrets/...` requests; undefined when the path is not a secrets operation. */
export function secretRoute(state: SecretState, method: string, segments: string[]): SecretRoute | undefined {
  if (segments[0] !== 'secrets' || segments.length < 2 || segments.length > 3) return undefined;
  const name = segments[1];
  const third = segments[2] ?? '';
  if (method === 'PUT' && segments.length === 2) return { operation: 'create', run: (ctx, body) => setSecret(state, ctx, name, body) };
  if (method === 'GET' && third === 'versions') return { operation: 'list', run: (ctx, _body, query) => listSecretVersions(state, ctx, name, query) };
  if (method === 'GET') return { operation: 'get', run: (ctx) => getSecret(state, ctx, name, third) };
  if (method === 'PATCH' && third !== '') return { operation: 'update', run: (ctx, body) => updateSecret(state, ctx, name, third, body) };
  return undefined;
}
