import { createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { nowSeconds, type Clock } from '../clock';
import type { KeyRing, RingKey } from '../keys/key-ring';
import type { RevocationView } from '../revocation/revocation';
import { algorithmSpec, isHmac, isSupportedAlgorithm, signingInputDigest, type JwsAlgorithm } from './algorithms';
import { decodeBase64Url } from './base64url';
import type { JwtClaims } from './claims';
import type { VerifyErrorCode } from './verify-errors';

export interface VerifyOptions {
  issuer: string;
  /** Audiences this service issues for (JWT_AUDIENCES). */
  audiences: readonly string[];
  clockSkewSeconds: number;
  maxTokenBytes: number;
}

export interface VerifyDependencies {
  ring: KeyRing;
  clock: Clock;
  revocations: RevocationView;
  /** VERIFY_MODE=keyvault: the signature is checked by the key store (Key Vault `verify`). */
  remoteVerify?: (kid: string, alg: JwsAlgorithm, digest: Buffer, signature: Buffer) => Promise<boolean>;
}

export type VerifyResult =
  | {
      active: true;
      claims: JwtClaims;
      /** The payload as the signer wrote it (the JSON text `claims` was parsed from). */
      payloadJson: string;
      kid: string;
      alg: JwsAlgorithm;
    }
  | { active: false; error: VerifyErrorCode; kid?: string };

type Header = Record<string, unknown>;

const KID_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;
const ACCEPTED_TYPES = new Set(['jwt', 'application/jwt']);

function inactive(error: VerifyErrorCode, kid?: string): VerifyResult {
  return { active: false, error, kid };
}

function parseObject(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  return bytes === undefined ? undefined : parseObjectText(bytes.toString('utf8'));
}

function parseObjectText(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the header alone; the key is found by kid only, never by jku, x5u, jwk or x5c. */
function checkHeader(header: Header): VerifyErrorCode | undefined {
  if (!isSupportedAlgorithm(header.alg)) return 'unsupported_alg';
  if (header.crit !== undefined) return 'unsupported_crit'; // we understand no extension (RFC 7515 §4.1.11)
  if (header.b64 !== undefined) return 'unsupported_crit';
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase()))) {
    return 'wrong_type';
  }
  if (typeof header.kid !== 'string' || !KID_SHAPE.test(header.kid)) return 'unknown_key';
  return undefined;
}

function signatureIsValid(ringKey: RingKey, alg: JwsAlgorithm, signingInput: string, signature: Buffer): boolean {
  const spec = algorithmSpec(alg);
  if (spec.signatureLength !== undefined && signature.length !== spec.signatureLength) return false;
  if (isHmac(alg)) {
    const expected = createHmac(spec.hash, ringKey.key).update(signingInput).digest();
    return timingSafeEqual(expected, signature);
  }
  return cryptoVerify(spec.hash, Buffer.from(signingInput, 'latin1'), ringKey.verifyOptions, signature);
}

function checkClaims(claims: JwtClaims, options: VerifyOptions, now: number, audience?: string): VerifyErrorCode | undefined {
  const skew = options.clockSkewSeconds;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return 'missing_claim';
  if (now - skew >= claims.exp) return 'expired';
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) return 'malformed';
    if (now + skew < claims.nbf) return 'not_yet_valid';
  }
  if (claims.iat !== undefined) {
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return 'malformed';
    if (now + skew < claims.iat) return 'not_yet_valid';
  }
  if (claims.iss !== options.issuer) return 'wrong_issuer';
  const tokenAudiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  if (!Array.isArray(tokenAudiences)) return 'wrong_audience';
  if (audience !== undefined) return tokenAudiences.includes(audience) ? undefined : 'wrong_audience';
  return tokenAudiences.some((aud) => typeof aud === 'string' && options.audiences.includes(aud)) ? undefined : 'wrong_audience';
}

interface Parsed {
  kid: string;
  alg: JwsAlgorithm;
  signingInput: string;
  payloadBytes: Buffer;
  signature: Buffer;
}

type HeaderVerdict = { kid: string; alg: JwsAlgorithm } | { error: VerifyErrorCode };

/**
 * Tokens signed by one key share one header segment, so its verdict is cached: a base64 decode and
 * a JSON parse saved per token. Bounded (untrusted input), and it only ever stores what
 * checkHeader decided from the same bytes.
 */
const headerVerdicts = new Map<string, HeaderVerdict>();
const MAX_CACHED_HEADERS = 256;

function headerVerdict(segment: string): HeaderVerdict {
  const cached = headerVerdicts.get(segment);
  if (cached) return cached;
  const header = parseObject(decodeBase64Url(segment));
  const error = header ? checkHeader(header) : 'malformed';
  const verdict: HeaderVerdict = error || !header ? { error: error ?? 'malformed' } : { kid: header.kid as string, alg: header.alg as JwsAlgorithm };
  if (segment.length <= 512) {
    if (headerVerdicts.size >= MAX_CACHED_HEADERS) headerVerdicts.clear();
    headerVerdicts.set(segment, verdict);
  }
  return verdict;
}

/** Size, shape and header checks: everything that can be decided before a key is looked up. */
function parse(token: unknown, options: VerifyOptions): Parsed | VerifyResult {
  if (typeof token !== 'string' || token.length === 0) return inactive('malformed');
  if (token.length > options.maxTokenBytes) return inactive('token_too_large');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) !== -1) {
    return inactive('malformed');
  }
  const verdict = headerVerdict(token.slice(0, first));
  if ('error' in verdict) return inactive(verdict.error);
  const { kid, alg } = verdict;
  const payloadBytes = decodeBase64Url(token.slice(first + 1, second));
  const signature = decodeBase64Url(token.slice(second + 1));
  if (!payloadBytes || !signature) return inactive('malformed', kid);
  return { kid, alg, signingInput: token.slice(0, second), payloadBytes, signature };
}

function isResult(value: Parsed | VerifyResult): value is VerifyResult {
  return (value as VerifyResult).active !== undefined;
}

/** Key checks, then (signature already checked) the claims and revocation. */
function keyError(parsed: Parsed, ringKey: RingKey | undefined): VerifyResult | undefined {
  if (!ringKey) return inactive('unknown_key', parsed.kid);
  if (parsed.alg !== ringKey.version.alg) return inactive('alg_mismatch', parsed.kid);
  if (!ringKey.version.enabled) return inactive('key_disabled', parsed.kid);
  return undefined;
}

function afterSignature(parsed: Parsed, options: VerifyOptions, deps: VerifyDependencies, audience: string | undefined): VerifyResult {
  const payloadJson = parsed.payloadBytes.toString('utf8');
  const claims = parseObjectText(payloadJson);
  if (!claims) return inactive('malformed', parsed.kid);
  const claimError = checkClaims(claims, options, nowSeconds(deps.clock), audience);
  if (claimError) return inactive(claimError, parsed.kid);
  const jti = typeof claims.jti === 'string' ? claims.jti : undefined;
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
  if (deps.revocations.isRevoked({ jti, sub, iat })) return inactive('revoked', parsed.kid);
  return { active: true, claims, payloadJson, kid: parsed.kid, alg: parsed.alg };
}

/** Cached keys only; undefined when the answer needs I/O (unknown kid, or remote verify). */
function verifyParsedCached(parsed: Parsed, options: VerifyOptions, deps: VerifyDependencies, audience: string | undefined): VerifyResult | undefined {
  const ringKey = deps.ring.get(parsed.kid);
  if (!ringKey || (deps.remoteVerify && !isHmac(parsed.alg))) return undefined;
  const refused = keyError(parsed, ringKey);
  if (refused) return refused;
  if (!signatureIsValid(ringKey, parsed.alg, parsed.signingInput, parsed.signature)) return inactive('bad_signature', parsed.kid);
  return afterSignature(parsed, options, deps, audience);
}

/**
 * The synchronous hot path: verifies with cached keys only. Returns undefined when the answer
 * needs I/O — an unknown kid (ring refresh) or VERIFY_MODE=keyvault (remote verify).
 */
export function verifyTokenCached(token: unknown, options: VerifyOptions, deps: VerifyDependencies, audience?: string): VerifyResult | undefined {
  const parsed = parse(token, options);
  return isResult(parsed) ? parsed : verifyParsedCached(parsed, options, deps, audience);
}

/**
 * The same rules as verifyToken, answered at once when the cached keys suffice (the common case:
 * no promise, no microtask) and as a promise only when I/O is needed. The token is parsed once either way.
 */
export function verifyTokenNowOrLater(token: unknown, options: VerifyOptions, deps: VerifyDependencies, audience?: string): VerifyResult | Promise<VerifyResult> {
  const parsed = parse(token, options);
  if (isResult(parsed)) return parsed;
  return verifyParsedCached(parsed, options, deps, audience) ?? verifyParsedWithIo(parsed, options, deps, audience);
}

/**
 * Verifies a token by the RFC 8725 rules, in an order that never trusts unsigned data: size, shape,
 * header, key by kid, alg bound to the key, signature, and only then the claims and revocation.
 */
export async function verifyToken(token: unknown, options: VerifyOptions, deps: VerifyDependencies, audience?: string): Promise<VerifyResult> {
  return verifyTokenNowOrLater(token, options, deps, audience);
}

/** An unknown kid (the ring may refresh, within its cool-down) or a signature Key Vault checks. */
async function verifyParsedWithIo(parsed: Parsed, options: VerifyOptions, deps: VerifyDependencies, audience: string | undefined): Promise<VerifyResult> {
  const ringKey = deps.ring.get(parsed.kid) ?? (await deps.ring.resolve(parsed.kid));
  const refused = keyError(parsed, ringKey);
  if (refused || !ringKey) return refused ?? inactive('unknown_key', parsed.kid);
  const valid =
    deps.remoteVerify && !isHmac(parsed.alg)
      ? await deps.remoteVerify(parsed.kid, parsed.alg, signingInputDigest(parsed.alg, parsed.signingInput), parsed.signature)
      : signatureIsValid(ringKey, parsed.alg, parsed.signingInput, parsed.signature);
  if (!valid) return inactive('bad_signature', parsed.kid);
  return afterSignature(parsed, options, deps, audience);
}
