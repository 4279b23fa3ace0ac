/**
 * The double's keys: name → versions, each with real key material, attributes in Unix seconds and
 * tags, and the JSON shapes Key Vault answers with (key bundle, version list item).
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { CurveName, VersionKeyMaterial } from './digest-signing';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface VersionAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface StoredVersion {
  name: string;
  /** 32 lowercase hex characters, like Key Vault's version ids. */
  version: string;
  material: VersionKeyMaterial;
  keySize?: number;
  keyOps: string[];
  attributes: VersionAttributes;
  tags: Record<string, string>;
  /** Creation order, for "the current version" (list order is by version id instead). */
  sequence: number;
}

export interface CreateKeyRequest {
  kty: 'RSA' | 'EC';
  keySize?: number;
  crv?: CurveName;
  keyOps: string[];
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  tags?: Record<string, string>;
}

const NODE_CURVES: Record<CurveName, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

async function generateMaterial(request: CreateKeyRequest): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (request.kty === 'RSA') {
    return generateKeyPairAsync('rsa', { modulusLength: request.keySize ?? 2048 });
  }
  return generateKeyPairAsync('ec', { namedCurve: NODE_CURVES[request.crv ?? 'P-256'] });
}

export class VaultState {
  private readonly keys = new Map<string, StoredVersion[]>();
  private sequence = 0;

  async create(name: string, request: CreateKeyRequest, nowSeconds: number): Promise<StoredVersion> {
    const { privateKey, publicKey } = await generateMaterial(request);
    const stored: StoredVersion = {
      name,
      version: randomBytes(16).toString('hex'),
      material: { privateKey, publicKey, kty: request.kty, crv: request.kty === 'EC' ? (request.crv ?? 'P-256') : undefined },
      keySize: request.kty === 'RSA' ? (request.keySize ?? 2048) : undefined,
      keyOps: request.keyOps,
      attributes: { enabled: request.enabled ?? true, nbf: request.nbf, exp: request.exp, created: nowSeconds, updated: nowSeconds },
      tags: { ...(request.tags ?? {}) },
      sequence: (this.sequence += 1),
    };
    this.keys.set(name, [...(this.keys.get(name) ?? []), stored]);
    return stored;
  }

  /** The current version: the one created last. */
  latest(name: string): StoredVersion | undefined {
    const versions = this.keys.get(name) ?? [];
    return versions.reduce<StoredVersion | undefined>((best, v) => (best === undefined || v.sequence > best.sequence ? v : best), undefined);
  }

  find(name: string, version: string): StoredVersion | undefined {
    return (this.keys.get(name) ?? []).find((v) => v.version === version);
  }

  /** Versions ordered by version id, as Key Vault lists them (not by creation time). */
  listByVersionId(name: string): StoredVersion[] | undefined {
    const versions = this.keys.get(name);
    return versions && [...versions].sort((a, b) => a.version.localeCompare(b.version));
  }

  /** Test hook: back-dates or moves a version's creation time (for ordering tests). */
  setCreated(name: string, version: string, created: number): void {
    const stored = this.find(name, version);
    if (!stored) throw new Error(`no version ${version} of ${name}`);
    stored.attributes.created = created;
  }

  names(): string[] {
    return [...this.keys.keys()];
  }
}

function attributesJson(v: StoredVersion): Record<string, unknown> {
  const { enabled, nbf, exp, created, updated } = v.attributes;
  return {
    enabled,
    ...(nbf === undefined ? {} : { nbf }),
    ...(exp === undefined ? {} : { exp }),
    created,
    updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
    exportable: false,
    // Present on real answers; clients must ignore what they do not know.
    hsmPlatform: '0',
  };
}

export function keyId(vaultUrl: string, v: StoredVersion): string {
  return `${vaultUrl}/keys/${v.name}/${v.version}`;
}

/** A key bundle as `GET /keys/{name}/{version}` (and create/update/rotate) return it. */
export function keyBundleJson(vaultUrl: string, v: StoredVersion): Record<string, unknown> {
  const jwk = v.material.publicKey.export({ format: 'jwk' });
  const key =
    v.material.kty === 'RSA'
      ? { kid: keyId(vaultUrl, v), kty: 'RSA', key_ops: v.keyOps, n: jwk.n, e: jwk.e }
      : { kid: keyId(vaultUrl, v), kty: 'EC', key_ops: v.keyOps, crv: v.material.crv, x: jwk.x, y: jwk.y };
  return {
    key,
    attributes: attributesJson(v),
    tags: v.tags,
    ...(v.keySize === undefined ? {} : { key_size: v.keySize }),
  };
}

/** One item of `GET /keys/{name}/versions`: no key material, only id, attributes and tags. */
export function versionItemJson(vaultUrl: string, v: StoredVersion): Record<string, unknown> {
  return { kid: keyId(vaultUrl, v), attributes: attributesJson(v), tags: v.tags };
}
