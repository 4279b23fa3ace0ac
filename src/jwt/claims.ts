import { ServiceError } from '../errors';

/**
 * Claims the service owns: a caller can never set them. `cnf` is set by the service too, from the
 * caller's checked request (src/binding/sign-binding.ts): only the two shapes it validates ever
 * reach a token, never a caller's raw object.
 */
export const SERVER_OWNED_CLAIMS = ['iss', 'iat', 'exp', 'jti', 'azp', 'cnf'] as const;
/** Claims any caller allowed to sign may set (audience still checked against its own list). */
export const ALWAYS_ALLOWED_CLAIMS = ['aud', 'sub', 'nbf'] as const;

export type JwtClaims = Record<string, unknown>;

export interface ClaimRules {
  /** Audiences this caller may request (JWT_AUDIENCES ∩ the caller's own). */
  audiences: readonly string[];
  /** Claim names the caller may set besides the always-allowed ones; '*' allows any. */
  allowedClaims: '*' | readonly string[];
  maxClaimsBytes: number;
}

export interface CheckedClaims {
  claims: JwtClaims;
  audiences: string[];
  nbf?: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates the caller's claims; every refusal names the claim, never echoes its value. */
export function checkCallerClaims(claims: unknown, rules: ClaimRules): CheckedClaims {
  if (!isPlainObject(claims)) throw new ServiceError('invalid_claims', '"claims" must be a JSON object.');
  if (Buffer.byteLength(JSON.stringify(claims)) > rules.maxClaimsBytes) {
    throw new ServiceError('invalid_claims', `"claims" must be at most ${rules.maxClaimsBytes} bytes of JSON.`);
  }
  for (const name of SERVER_OWNED_CLAIMS) {
    if (Object.prototype.hasOwnProperty.call(claims, name)) {
      throw new ServiceError('reserved_claim', `The "${name}" claim is set by the service and can not be supplied.`);
    }
  }
  if (rules.allowedClaims !== '*') {
    const allowed = new Set<string>([...ALWAYS_ALLOWED_CLAIMS, ...rules.allowedClaims]);
    const refused = Object.keys(claims).filter((name) => !allowed.has(name));
    if (refused.length > 0) {
      throw new ServiceError('claim_not_allowed', `This caller may not set the claim(s): ${refused.slice(0, 5).join(', ')}.`);
    }
  }

  const audiences = readAudiences(claims.aud);
  const permitted = new Set(rules.audiences);
  const refusedAudience = audiences.find((aud) => !permitted.has(aud));
  if (refusedAudience !== undefined) {
    throw new ServiceError('audience_not_allowed', 'The requested audience is not allowed for this caller.', {
      details: { allowedAudiences: rules.audiences.join(',') },
    });
  }

  if (claims.sub !== undefined && (typeof claims.sub !== 'string' || claims.sub.length === 0)) {
    throw new ServiceError('invalid_claims', '"sub" must be a non-empty string.');
  }
  let nbf: number | undefined;
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || !Number.isSafeInteger(claims.nbf) || claims.nbf < 0) {
      throw new ServiceError('invalid_claims', '"nbf" must be a NumericDate (whole seconds since the epoch).');
    }
    nbf = claims.nbf;
  }
  return { claims, audiences, nbf };
}

function readAudiences(aud: unknown): string[] {
  if (aud === undefined) {
    throw new ServiceError('invalid_claims', '"aud" is required: name the API the token is for.');
  }
  const list = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a): a is string => typeof a === 'string' && a.length > 0)) {
    throw new ServiceError('invalid_claims', '"aud" must be a non-empty string or a non-empty array of strings.');
  }
  return list;
}
