import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { DPOP_ALGORITHMS } from '../algorithms';
import { normalizeHttpUri } from './http-uri';
import { proofKey, type ProofKey } from './proof-keys';
/** A proof is a header with one public key and a few claims: an RSA-4096 one is under 2 KB. */
export const MAX_DPOP_PROOF_CHARS = 8 * 1024;
const MAX_JTI_CHARS = 256;

/** Why a proof was refused; names only, never a value from the proof. */
export type DpopProblem =
  | 'too_large'
  | 'malformed'
  | 'wrong_type'
  | 'unsupported_alg'
  | 'bad_key'
  | 'private_key'
  | 'bad_signature'
  | 'missing_claim'
  | 'wrong_method'
  | 'wrong_uri'
  | 'stale'
  | 'from_the_future'
  | 'missing_ath'
  | 'wrong_ath'
  | 'unexpected_ath';

/** The request the proof must have been made for. */
export interface DpopExpectation {
  htm: string;
  /** The URI the client called; compared after normalization, without query and fragment. */
  htu: string;
  /** At a resource: the access token the proof accompanies (its hash must be `ath`). At sign: absent, and so must `ath` be. */
  accessToken?: string;
}

export interface DpopTiming {
  nowMs: number;
  /** DPOP_PROOF_WINDOW: how old `iat` may be. */
  windowSeconds: number;
  /** JWT_CLOCK_SKEW: tolerance either way. */
  skewSeconds: number;
}

export interface CheckedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: what `cnf.jkt` names. */
  jkt: string;
  jti: string;
  /** Unix seconds after which the proof is refused as stale anyway: how long its jti must be remembered. */
  expiresAt: number;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Header checks of RFC 9449 §4.3 steps 4, 5 and 7, before any key is imported. */
function headerProblem(proof: string): DpopProblem | undefined {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return 'malformed';
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase().replace(/^application\//, '') !== 'dpop+jwt') return 'wrong_type';
  if (!(DPOP_ALGORITHMS as readonly unknown[]).includes(header.alg)) return 'unsupported_alg';
  const jwk = header.jwk;
  if (!isObject(jwk) || typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty)) return 'bad_key';
  if (PRIVATE_MEMBERS.some((name) => Object.prototype.hasOwnProperty.call(jwk, name))) return 'private_key';
  return undefined;
}

function verificationProblem(error: unknown): DpopProblem {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWTExpired) return 'stale';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.claim === 'iat') return error.reason === 'check_failed' ? 'from_the_future' : 'missing_claim';
    if (error.claim === 'typ') return 'wrong_type';
    return 'malformed';
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'unsupported_alg';
  // A key that does not fit its alg, an RSA key under 2048 bits, a broken segment.
  return error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid ? 'malformed' : 'bad_key';
}

function accessTokenHash(accessToken: string): Buffer {
  return Buffer.from(createHash('sha256').update(accessToken).digest('base64url'));
}

/** RFC 9449 §4.3 steps 8, 9 and 12 (ath); jose already checked 3, 6 and 11. */
function claimProblem(payload: JWTPayload, expected: DpopExpectation): DpopProblem | undefined {
  const { jti, htm, htu, ath } = payload as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_CHARS || typeof htm !== 'string' || typeof htu !== 'string') return 'missing_claim';
  if (htm !== expected.htm) return 'wrong_method';
  const presented = normalizeHttpUri(htu);
  if (presented === undefined || presented !== normalizeHttpUri(expected.htu)) return 'wrong_uri';
  if (expected.accessToken === undefined) return ath === undefined ? undefined : 'unexpected_ath';
  if (typeof ath !== 'string') return 'missing_ath';
  const wanted = accessTokenHash(expected.accessToken);
  const given = Buffer.from(ath);
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? undefined : 'wrong_ath';
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) for the request it accompanies and returns its key's
 * thumbprint and its jti, or why it is refused. The proof is attacker-controlled: size first,
 * the header (typ, alg allowlist, a public jwk only) before a key is imported from it, then jose
 * verifies the signature with that embedded key (EmbeddedJWK, kept per key: proof-keys.ts) and
 * the iat window. Replay (jti) is the caller's
 * next step, once the key is known to be the one the token is bound to.
 */
export async function checkDpopProof(proof: string, expected: DpopExpectation, timing: DpopTiming): Promise<CheckedProof | { problem: DpopProblem }> {
  if (proof.length > MAX_DPOP_PROOF_CHARS) return { problem: 'too_large' };
  const refused = headerProblem(proof);
  if (refused) return { problem: refused };
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  let signer: ProofKey | undefined;
  try {
    verified = await jwtVerify(proof, async (header, token) => (signer = await proofKey(header, token)).key, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGORITHMS],
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
      maxTokenAge: timing.windowSeconds,
      clockTolerance: timing.skewSeconds,
      currentDate: new Date(timing.nowMs),
    });
  } catch (error: unknown) {
    return { problem: verificationProblem(error) };
  }
  const problem = claimProblem(verified.payload, expected);
  if (problem) return { problem };
  const iat = verified.payload.iat as number; // jose required it and checked it is a number
  // jose called the key resolver before it could verify: signer is set.
  return { jkt: (signer as ProofKey).jkt, jti: verified.payload.jti as string, expiresAt: Math.ceil(iat) + timing.windowSeconds + timing.skewSeconds };
}

/** A sentence for a refused proof at sign (400): the check that failed, never the proof itself. */
export const DPOP_PROBLEM_MESSAGES: Readonly<Record<DpopProblem, string>> = {
  too_large: `"dpop" may be at most ${MAX_DPOP_PROOF_CHARS} characters.`,
  malformed: '"dpop" is not a well-formed DPoP proof JWT.',
  wrong_type: '"dpop" must have the header typ "dpop+jwt".',
  unsupported_alg: `"dpop" must be signed with one of ${DPOP_ALGORITHMS.join(', ')}.`,
  bad_key: '"dpop" must carry the public key (jwk) that signed it, fitting its alg.',
  private_key: '"dpop" carries a private key in its jwk header: only the public key belongs there.',
  bad_signature: '"dpop" is not signed by the key in its jwk header.',
  missing_claim: '"dpop" must carry jti, htm, htu and iat.',
  wrong_method: '"dpop" was not made for this HTTP method (htm).',
  wrong_uri: '"dpop" was not made for this URL (htu).',
  stale: '"dpop" is too old (iat): make a new proof for each request.',
  from_the_future: '"dpop" is issued in the future (iat): check the client clock.',
  missing_ath: '"dpop" must carry ath, the hash of the access token it accompanies.',
  wrong_ath: '"dpop" was made for another access token (ath).',
  unexpected_ath: '"dpop" for a token request must not carry ath.',
};
