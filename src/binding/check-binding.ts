import { timingSafeEqual } from 'node:crypto';
import type { JwtClaims } from '../jwt/claims';
import type { VerifyErrorCode } from '../jwt/verify-errors';
import { certificateThumbprint } from './certificate-thumbprint';
import { readConfirmation } from './confirmation';
import type { BindingDependencies } from './dependencies';
import { checkDpopProof } from './dpop-proof';

/** What the request to /api/verify brings besides the token: what the client presented to the API. */
export interface PresentedBinding {
  /** The access token exactly as the client presented it: what a proof's `ath` hashes (a JWE stays the JWE). */
  token: string;
  /** The client's TLS certificate, base64 DER or PEM (X-ARR-ClientCert, context.Request.Certificate). */
  clientCertificate?: string;
  /** The client's DPoP header. */
  dpop?: string;
  /** Method and URL of the client's request, which the proof must have been made for. */
  htm?: string;
  htu?: string;
}

/** Why a bound token is refused: the public code, and for the audit log the check that failed (a name, never a value). */
export interface BindingRefusal {
  error: VerifyErrorCode;
  detail: string;
}

const refuse = (error: VerifyErrorCode, detail: string): BindingRefusal => ({ error, detail });

function sameThumbprint(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function checkCertificate(bound: string, presented: PresentedBinding): BindingRefusal | undefined {
  if (presented.clientCertificate === undefined) return refuse('binding_required', 'no_certificate');
  const result = certificateThumbprint(presented.clientCertificate, { parse: false });
  if ('problem' in result) return refuse('binding_mismatch', `certificate_${result.problem}`);
  return sameThumbprint(result.thumbprint, bound) ? undefined : refuse('binding_mismatch', 'other_certificate');
}

async function checkProof(bound: string, presented: PresentedBinding, deps: BindingDependencies): Promise<BindingRefusal | undefined> {
  if (presented.dpop === undefined) return refuse('binding_required', 'no_proof');
  if (presented.htm === undefined || presented.htu === undefined) return refuse('dpop_invalid', 'no_htm_htu');
  const proof = await checkDpopProof(
    presented.dpop,
    { htm: presented.htm, htu: presented.htu, accessToken: presented.token },
    { nowMs: deps.clock.nowMs(), windowSeconds: deps.proofWindowSeconds, skewSeconds: deps.clockSkewSeconds },
  );
  if ('problem' in proof) return refuse('dpop_invalid', proof.problem);
  if (!sameThumbprint(proof.jkt, bound)) return refuse('binding_mismatch', 'other_key');
  // Last: only a valid proof by the bound key costs a write to the shared table.
  return (await deps.replayCache.remember(proof.jkt, proof.jti, proof.expiresAt)) === 'replayed' ? refuse('dpop_replayed', 'replayed') : undefined;
}

/**
 * The binding check of a verified token (RFC 8705 §3, RFC 9449 §4.3 and §7): undefined when the
 * token carries no `cnf` (a bearer token, unaffected) or when the request proves possession of
 * what `cnf` names; otherwise why not. A `cnf` in any shape but the two this service issues is
 * refused. A DPoP proof is checked on every call, never cached. Rejects only when the replay
 * table can not be asked (503 `replay_cache_unavailable`).
 */
export async function checkBinding(claims: JwtClaims, presented: PresentedBinding, deps: BindingDependencies): Promise<BindingRefusal | undefined> {
  if (claims.cnf === undefined) return undefined;
  const confirmation = readConfirmation(claims.cnf);
  if (!confirmation) return refuse('binding_mismatch', 'unsupported_cnf');
  return 'jkt' in confirmation ? checkProof(confirmation.jkt, presented, deps) : checkCertificate(confirmation['x5t#S256'], presented);
}
