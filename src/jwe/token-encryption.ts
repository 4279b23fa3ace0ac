import { ISSUED_CONTENT_ENCRYPTION, KEY_WRAP_ALGORITHM, type ContentEncryption, type KeyWrapAlgorithm } from '../algorithms';
import type { CallerPermissions } from '../config/caller-policy';
import { ServiceError } from '../errors';
import type { EncryptionKeyRing } from '../keys/encryption-ring';
import type { AudienceKeys, RecipientKey } from './audience-keys';
import { openToken, type OpenedToken, type OpenerDependencies } from './open-token';
import { sealToken } from './seal-token';

/** What /api/sign adds to its answer for an encrypted token (the top-level kid/alg stay the signature's). */
export interface EncryptionInfo {
  kid: string;
  alg: KeyWrapAlgorithm;
  enc: ContentEncryption;
  /** "self" (only this service's /api/verify reads it) or the audience whose own key it is encrypted to. */
  recipient: string;
}

/** A decided encryption, made before the token is signed so that every refusal comes before a Key Vault sign is spent. */
export interface Sealing {
  readonly recipient: string;
  seal<T extends { token: string }>(signed: T): Promise<T & { encryption: EncryptionInfo }>;
}

export interface TokenEncryption {
  /**
   * `"encrypt"` of a sign request and the caller's policy → the encryption to apply, or undefined
   * for a plain signed JWT. 400 for a bad `encrypt`, 403 `encryption_required` when the policy
   * demands it, 503 when the recipient's key can not be had.
   */
  plan(request: { encrypt: unknown; claims: unknown }, permissions: CallerPermissions): Promise<Sealing | undefined>;
  /** A 5-segment token → the signed JWT inside, or why it is inactive; any other token passes through. */
  open(token: unknown): Promise<OpenedToken>;
}

export interface TokenEncryptionDependencies extends OpenerDependencies {
  ring: EncryptionKeyRing;
  audienceKeys: AudienceKeys;
}

function requestedAudiences(claims: unknown): string[] {
  const aud = typeof claims === 'object' && claims !== null ? (claims as { aud?: unknown }).aud : undefined;
  const list: unknown[] = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return list.filter((a): a is string => typeof a === 'string');
}

function mustEncrypt(permissions: CallerPermissions, audiences: readonly string[]): boolean {
  const rule = permissions.encryptionRequiredFor;
  if (rule === undefined) return false;
  return rule === 'all' || audiences.some((aud) => rule.includes(aud));
}

async function ownKey(ring: EncryptionKeyRing): Promise<RecipientKey> {
  await ring.ready();
  const current = ring.current();
  if (!current) throw new ServiceError('no_active_key', 'No encryption key is active yet; try again shortly.', { retryAfterSeconds: 5 });
  return { kid: current.version.kid, key: current.publicKey };
}

export function createTokenEncryption(deps: TokenEncryptionDependencies): TokenEncryption {
  return {
    async plan({ encrypt, claims }, permissions) {
      if (encrypt !== undefined && typeof encrypt !== 'boolean') throw new ServiceError('invalid_request', '"encrypt" must be true or false.');
      const audiences = requestedAudiences(claims);
      if (encrypt !== true) {
        if (mustEncrypt(permissions, audiences)) throw new ServiceError('encryption_required', 'CALLER_POLICY requires this caller\'s tokens for this audience to be encrypted: send "encrypt": true.');
        return undefined;
      }
      // A compact JWE has one recipient: a token for an audience with its own key names only that audience.
      const own = audiences.filter((aud) => deps.audienceKeys.has(aud));
      if (own.length > 0 && audiences.length > 1) {
        throw new ServiceError('invalid_request', 'A token encrypted to an audience\'s own key must name exactly that one audience in "aud".');
      }
      const recipient = own[0] ?? 'self';
      const key = own.length > 0 ? await deps.audienceKeys.currentKey(recipient) : await ownKey(deps.ring);
      return {
        recipient,
        async seal(signed) {
          const token = await sealToken(signed.token, key);
          return { ...signed, token, encryption: { kid: key.kid, alg: KEY_WRAP_ALGORITHM, enc: ISSUED_CONTENT_ENCRYPTION, recipient } };
        },
      };
    },
    open: (token) => openToken(token, deps),
  };
}
