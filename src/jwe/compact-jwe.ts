/**
 * Strict parsing of a compact JWE (RFC 7516 §7.1) addressed to this service, before any key is
 * touched: five strict base64url segments, a protected header that is a JSON object, and a header
 * allowlist — `alg` RSA-OAEP-256 only, `enc` A256GCM or A128GCM only, `cty` JWT (RFC 7519 §5.2: the
 * payload is a signed JWT), `typ` JWT when present, a `kid`, and nothing else. That refuses RSA1_5,
 * RSA-OAEP (SHA-1), `dir`, AES key wrap, PBES2 (its `p2c` would make us spend CPU on the sender's
 * terms), ECDH-ES, compression (`zip`), critical extensions, and every member that could point at a
 * key (`jku`, `jwk`, `x5u`, `x5c`): the key is found by `kid` among this service's own, only.
 */
import { CONTENT_ENCRYPTION, GCM_IV_LENGTH, GCM_TAG_LENGTH, isContentEncryption, isKeyWrapAlgorithm, type ContentEncryption } from '../algorithms';
import { decodeBase64Url } from '../jwt/base64url';
import type { VerifyErrorCode } from '../jwt/verify-errors';

export interface ParsedJwe {
  /** The protected header segment as sent: AES-GCM's additional authenticated data (RFC 7516 §5.2 step 14). */
  protectedSegment: string;
  kid: string;
  enc: ContentEncryption;
  /** The encrypted key segment as sent: what the content key cache is keyed by. */
  encryptedKeySegment: string;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export interface JweRefusal {
  error: VerifyErrorCode;
  kid?: string;
}

/** The members a nested JWT's JWE header may carry here; anything else is refused, not ignored. */
const ALLOWED_MEMBERS = new Set(['alg', 'enc', 'kid', 'cty', 'typ']);
const KID_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;
const JWT_TYPES = new Set(['jwt', 'application/jwt']);
/** A protected header of this service's shape is about 120 characters; nothing legitimate needs more. */
export const MAX_PROTECTED_SEGMENT = 1024;

/** A compact JWE has five segments (four dots); a JWS three. Counting stops at the fifth dot. */
export function isCompactJwe(token: unknown): token is string {
  if (typeof token !== 'string') return false;
  let dots = 0;
  for (let at = token.indexOf('.'); at !== -1 && dots < 5; at = token.indexOf('.', at + 1)) dots += 1;
  return dots === 4;
}

function headerOf(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64Url(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isJwtType(value: unknown): boolean {
  return typeof value === 'string' && JWT_TYPES.has(value.toLowerCase());
}

/** The header's verdict; the order puts the algorithm first, as RFC 8725 §3.1 asks. */
function checkHeader(header: Record<string, unknown>): JweRefusal | { kid: string; enc: ContentEncryption } {
  const kid = typeof header.kid === 'string' && KID_SHAPE.test(header.kid) ? header.kid : undefined;
  if (!isKeyWrapAlgorithm(header.alg)) return { error: 'unsupported_alg', kid };
  if (!isContentEncryption(header.enc)) return { error: 'unsupported_enc', kid };
  if (header.crit !== undefined) return { error: 'unsupported_crit', kid };
  if (Object.keys(header).some((member) => !ALLOWED_MEMBERS.has(member))) return { error: 'unsupported_header', kid };
  if (header.typ !== undefined && !isJwtType(header.typ)) return { error: 'wrong_type', kid };
  if (!isJwtType(header.cty)) return { error: 'wrong_content_type', kid };
  if (kid === undefined) return { error: 'unknown_key' };
  return { kid, enc: header.enc };
}

/**
 * Parses a compact JWE by the rules above. Only structure is judged here (what anyone can see);
 * whether the content key unwraps and the ciphertext authenticates is decided later, as one answer.
 */
export function parseCompactJwe(token: string, maxTokenBytes: number): ParsedJwe | JweRefusal {
  if (token.length > maxTokenBytes) return { error: 'token_too_large' };
  const segments = token.split('.');
  if (segments.length !== 5) return { error: 'malformed' };
  const [protectedSegment, encryptedKeySegment, ivSegment, ciphertextSegment, tagSegment] = segments;
  if (protectedSegment.length > MAX_PROTECTED_SEGMENT) return { error: 'token_too_large' };
  const header = headerOf(protectedSegment);
  if (!header) return { error: 'malformed' };
  const verdict = checkHeader(header);
  if ('error' in verdict) return verdict;
  const { kid, enc } = verdict;
  const encryptedKey = decodeBase64Url(encryptedKeySegment);
  const iv = decodeBase64Url(ivSegment);
  const ciphertext = decodeBase64Url(ciphertextSegment);
  const tag = decodeBase64Url(tagSegment);
  if (!encryptedKey || !iv || !ciphertext || !tag) return { error: 'malformed', kid };
  // RFC 7518 §5.3: a 96-bit IV and a 128-bit tag; a key-wrapped JWE always has an encrypted key.
  if (encryptedKey.length === 0 || iv.length !== GCM_IV_LENGTH || tag.length !== GCM_TAG_LENGTH) return { error: 'malformed', kid };
  return { protectedSegment, kid, enc, encryptedKeySegment, encryptedKey, iv, ciphertext, tag };
}

/** The content key length `enc` needs (16 or 32 bytes). */
export function contentKeyLength(enc: ContentEncryption): number {
  return CONTENT_ENCRYPTION[enc].keyLength;
}
