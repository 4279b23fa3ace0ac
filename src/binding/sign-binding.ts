import type { BindingPolicy } from '../config/caller-policy';
import { ServiceError } from '../errors';
import { certificateThumbprint, MAX_CERTIFICATE_CHARS } from './certificate-thumbprint';
import { readConfirmation, type Confirmation } from './confirmation';
import type { BindingDependencies } from './dependencies';
import { checkDpopProof, DPOP_PROBLEM_MESSAGES } from './dpop-proof';

/** The parts of a sign request that can bind the token. */
export interface SignBindingRequest {
  claims?: unknown;
  client_certificate?: unknown;
  dpop?: unknown;
}

export interface SignBinding {
  /** The server-set `cnf`, or undefined for a bearer token. */
  confirmation?: Confirmation;
  /** The caller's claims without `cnf` (which is the server's to set, in a checked shape). */
  claims: unknown;
}

const given = (value: unknown): boolean => value !== undefined && value !== null;

function requireText(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError('invalid_request', `"${field}" must be ${what}.`);
  return value;
}

function fromCertificate(value: unknown): Confirmation {
  const input = requireText(value, 'client_certificate', 'the client certificate as base64 DER or PEM');
  const result = certificateThumbprint(input);
  if ('problem' in result) {
    throw new ServiceError(
      'invalid_request',
      result.problem === 'too_large' ? `"client_certificate" may be at most ${MAX_CERTIFICATE_CHARS} characters.` : '"client_certificate" must be one X.509 certificate, base64 DER or PEM.',
    );
  }
  return { 'x5t#S256': result.thumbprint };
}

/** A proof made for this very sign request: POST to the public sign URL, no ath, fresh, never seen. */
async function fromProof(value: unknown, deps: BindingDependencies): Promise<Confirmation> {
  const proof = requireText(value, 'dpop', 'a DPoP proof JWT (RFC 9449)');
  const checked = await checkDpopProof(
    proof,
    { htm: 'POST', htu: deps.signUri },
    { nowMs: deps.clock.nowMs(), windowSeconds: deps.proofWindowSeconds, skewSeconds: deps.clockSkewSeconds },
  );
  if ('problem' in checked) throw new ServiceError('invalid_dpop_proof', DPOP_PROBLEM_MESSAGES[checked.problem]);
  if ((await deps.replayCache.remember(checked.jkt, checked.jti, checked.expiresAt)) === 'replayed') {
    throw new ServiceError('invalid_dpop_proof', '"dpop" was used before: make a new proof for each request.');
  }
  return { jkt: checked.jkt };
}

function fromClaim(cnf: unknown): Confirmation {
  const confirmation = readConfirmation(cnf);
  if (!confirmation) {
    throw new ServiceError('invalid_claims', '"cnf" must be {"x5t#S256": "<base64url SHA-256 of the certificate>"} or {"jkt": "<RFC 7638 SHA-256 thumbprint>"}, nothing else.');
  }
  return confirmation;
}

/** Splits `cnf` off the caller's claims; present means present, whatever its value (null included). */
function withoutCnf(claims: unknown): { claims: unknown; cnf?: { value: unknown } } {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims) || !Object.prototype.hasOwnProperty.call(claims, 'cnf')) return { claims };
  const { cnf, ...rest } = claims as Record<string, unknown>;
  return { claims: rest, cnf: { value: cnf } };
}

/**
 * What a sign request binds the token to (RFC 8705 §3.1, RFC 9449 §6.1), from exactly one of
 * `claims.cnf` (checked to the two shapes), `client_certificate` (its thumbprint computed here) or
 * `dpop` (a proof for this sign request, checked and recorded as used). Malformed input is a 400
 * naming the field; with the caller's `binding: "required"` a request that binds nothing is a 403.
 */
export async function signBinding(request: SignBindingRequest, policy: BindingPolicy | undefined, deps: BindingDependencies): Promise<SignBinding> {
  const { claims, cnf } = withoutCnf(request.claims);
  const sources = [cnf !== undefined, given(request.client_certificate), given(request.dpop)].filter(Boolean).length;
  if (sources > 1) throw new ServiceError('invalid_request', 'Bind the token one way: give only one of "claims.cnf", "client_certificate" and "dpop".');
  if (sources === 0) {
    if (policy === 'required') {
      throw new ServiceError('binding_required', 'This caller may only issue bound tokens: send "client_certificate", "dpop" or "claims.cnf".');
    }
    return { claims };
  }
  if (cnf) return { claims, confirmation: fromClaim(cnf.value) };
  if (given(request.client_certificate)) return { claims, confirmation: fromCertificate(request.client_certificate) };
  return { claims, confirmation: await fromProof(request.dpop, deps) };
}
