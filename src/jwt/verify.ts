import { createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { algorithmSpec, isHmac, isSupportedAlgorithm, type JwsAlgorithm } from '../algorithms';
import { nowSeconds, type Clock } from '../clock';
import type { KeyRing, RingKey } from '../keys/key-ring';
import type { RevocationView } from '../revocation/revocation';
import { decodeBase64Url } from './base64url';
import type { JwtClaims } from './claims';
import type { VerifyErrorCode } from './verify-errors';

export interface VerifyOptions {
  issuer: string;
  /** Audiences this service issues for (JWT_AUDIENCES): a token for none of them is never active. */
  audiences: readonly string[];
  clockSkewSeconds: number;
  maxTokenBytes: number;
  /**
   * Extra tolerance after a key's retirement, on top of the clock skew: how long another instance
   * may still sign with the previous key before its ring sees the successor (the ring refresh bound).
   */
  retirementGraceSeconds?: number;
}

export interface VerifyDependencies {
  ring: KeyRing;
  clock: Clock;
  revocations: RevocationView;
  /** VERIFY_MODE=keyvault: the signature is checked by the key store (Key Vault `verify`). */
  remoteVerify?: (kid: string, alg: JwsAlgorithm, signingInput: Buffer, signature: Buffer) => Promise<boolean>;
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
  // Exactly the key's length: r‖s, the HMAC, or the RSA modulus (a signature that lost a leading
  // zero byte is not the same signature, RFC 8017 §8.2.2).
  if (signature.length !== ringKey.signatureLength) return false;
  if (isHmac(alg)) {
    const expected = createHmac(algorithmSpec(alg).hash, ringKey.key).update(signingInput).digest();
    return timingSafeEqual(expected, signature);
  }
  return cryptoVerify(algorithmSpec(alg).hash, Buffer.from(signingInput, 'latin1'), ringKey.verifyOptions, signature);
}

function checkClaims(claims: JwtClaims, options: VerifyOptions, now: number, audiences: readonly string[]): VerifyErrorCode | undefined {
  const skew = options.clockSkewSeconds;
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return 'missing_claim';
  if (now - skew >= claims.exp) return 'expired';
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf)) return 'malformed';
    if (now + skew < claims.nbf) return 'not_yet_valid';
  }
  // This service stamps every token with iat: the key's active window is judged by it.
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return 'missing_claim';
  if (now + skew < claims.iat) return 'not_yet_valid';
  if (claims.iss !== options.issuer) return 'wrong_issuer';
  const tokenAudiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  if (!Array.isArray(tokenAudiences)) return 'wrong_audience';
  return tokenAudiences.some((aud) => typeof aud === 'string' && audiences.includes(aud)) ? undefined : 'wrong_audience';
}

/**
 * A token must have been issued while its key was the signer: not before the key activated (an
 * announced key signs nothing) and not after its successor took over (a retired key signs
 * nothing). Both with the clock skew; the retirement also with the ring refresh grace.
 */
function issuedWhileActive(claims: JwtClaims, ringKey: RingKey, options: VerifyOptions): boolean {
  const iat = claims.iat as number; // checkClaims required it
  if (iat < ringKey.activeFrom - options.clockSkewSeconds) return false;
  return ringKey.activeUntil === undefined || iat <= ringKey.activeUntil + options.clockSkewSeconds + (options.retirementGraceSeconds ?? 0);
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
  const bytes = decodeBase64Url(segment);
  const header = bytes === undefined ? undefined : parseObjectText(bytes.toString('utf8'));
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

function keyError(parsed: Parsed, ringKey: RingKey | undefined): VerifyResult | undefined {
  if (!ringKey) return inactive('unknown_key', parsed.kid);
  if (parsed.alg !== ringKey.version.alg) return inactive('alg_mismatch', parsed.kid);
  if (!ringKey.version.enabled) return inactive('key_disabled', parsed.kid);
  return undefined;
}

/** Runs once the signature has been checked: claims, the key's active window, then revocation. */
function afterSignature(parsed: Parsed, ringKey: RingKey, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[]): VerifyResult {
  const payloadJson = parsed.payloadBytes.toString('utf8');
  const claims = parseObjectText(payloadJson);
  if (!claims) return inactive('malformed', parsed.kid);
  return judgeSignedClaims({ claims, payloadJson, kid: parsed.kid, alg: parsed.alg }, ringKey, options, deps, audiences);
}

/** What a checked signature vouches for: the payload as signed and the key that signed it. */
export interface SignedPayload {
  claims: JwtClaims;
  payloadJson: string;
  kid: string;
  alg: JwsAlgorithm;
}

/**
 * Everything after the signature that can change from one call to the next — the key's state, the
 * time, the audiences of this call, the key's active window, revocation — in the order the full
 * path checks them. The verified-token cache (src/app/token-verifier.ts) answers a re-presented
 * token with this alone, so a cached answer is the full path's answer by construction.
 */
export function judgeSignedClaims(signed: SignedPayload, ringKey: RingKey, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[] = options.audiences): VerifyResult {
  const { claims, kid } = signed;
  if (!ringKey.version.enabled) return inactive('key_disabled', kid);
  const claimError = checkClaims(claims, options, nowSeconds(deps.clock), audiences);
  if (claimError) return inactive(claimError, kid);
  if (!issuedWhileActive(claims, ringKey, options)) return inactive('key_not_active', kid);
  const jti = typeof claims.jti === 'string' ? claims.jti : undefined;
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
  if (deps.revocations.isRevoked({ jti, sub, iat })) return inactive('revoked', kid);
  return { active: true, claims, payloadJson: signed.payloadJson, kid, alg: signed.alg };
}

/** The hot path: cached keys only; undefined when the answer needs I/O (unknown kid, or remote verify). */
function verifyParsedCached(parsed: Parsed, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[]): VerifyResult | undefined {
  const ringKey = deps.ring.get(parsed.kid);
  if (!ringKey || (deps.remoteVerify && !isHmac(parsed.alg))) return undefined;
  const refused = keyError(parsed, ringKey);
  if (refused) return refused;
  if (!signatureIsValid(ringKey, parsed.alg, parsed.signingInput, parsed.signature)) return inactive('bad_signature', parsed.kid);
  return afterSignature(parsed, ringKey, options, deps, audiences);
}

/** An unknown kid (the ring may refresh, within its cool-down) or a signature Key Vault checks. */
async function verifyParsedWithIo(parsed: Parsed, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[]): Promise<VerifyResult> {
  const ringKey = deps.ring.get(parsed.kid) ?? (await deps.ring.resolve(parsed.kid));
  const refused = keyError(parsed, ringKey);
  if (refused || !ringKey) return refused ?? inactive('unknown_key', parsed.kid);
  const valid =
    deps.remoteVerify && !isHmac(parsed.alg)
      ? await deps.remoteVerify(parsed.kid, parsed.alg, Buffer.from(parsed.signingInput, 'latin1'), parsed.signature)
      : signatureIsValid(ringKey, parsed.alg, parsed.signingInput, parsed.signature);
  if (!valid) return inactive('bad_signature', parsed.kid);
  return afterSignature(parsed, ringKey, options, deps, audiences);
}

/**
 * The synchronous core: the verdict from cached keys, or undefined when it needs I/O — an unknown
 * kid (ring refresh) or VERIFY_MODE=keyvault (remote verify). `audiences` are the ones this call
 * may accept (the caller's, see token-verifier.ts); JWT_AUDIENCES when not given.
 */
export function verifyTokenCached(token: unknown, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[] = options.audiences): VerifyResult | undefined {
  const parsed = parse(token, options);
  return isResult(parsed) ? parsed : verifyParsedCached(parsed, options, deps, audiences);
}

/**
 * Verifies a token by the RFC 8725 rules, in an order that never trusts unsigned data: size, shape,
 * header, key by kid, alg bound to the key, signature, and only then the claims, the key's active
 * window and revocation. The token is parsed once; cached keys answer without I/O.
 */
export async function verifyToken(token: unknown, options: VerifyOptions, deps: VerifyDependencies, audiences: readonly string[] = options.audiences): Promise<VerifyResult> {
  const parsed = parse(token, options);
  if (isResult(parsed)) return parsed;
  return verifyParsedCached(parsed, options, deps, audiences) ?? verifyParsedWithIo(parsed, options, deps, audiences);
}
