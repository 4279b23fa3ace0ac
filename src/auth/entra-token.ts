import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock';
import { invalidToken, type InvalidTokenReason } from './challenge';
import { SigningKeysUnavailable } from './entra-keys';

/** What a valid caller token says about its caller. */
export interface EntraIdentity {
  /** Object id (oid), lower-case. */
  oid: string;
  /** azp (v2 tokens) or appid (v1 tokens). */
  appId?: string;
  /** `exp`, in milliseconds since the epoch. */
  expiresAtMs: number;
}

export interface EntraTokenExpectations {
  tenantId: string;
  /** `AUTH_AUTHORITY_HOST`, e.g. https://login.microsoftonline.com. */
  authorityHost: string;
  audience: string;
  /** Tolerance for exp/nbf. */
  skewSeconds: number;
}

/**
 * Checks a Microsoft Entra access token (a managed identity's in production) with jose: RS256 only,
 * a key of the tenant, the tenant's v1 issuer (what managed identities get) or v2 issuer, our
 * audience, exp required, exp/nbf against the injected clock; then what jose can not know: `tid`,
 * when present, is the tenant and `oid` names the caller. Every refusal is a 401 `invalid_token`.
 */
export async function verifyEntraToken(token: string, keys: JWTVerifyGetKey, expected: EntraTokenExpectations, clock: Clock): Promise<EntraIdentity> {
  const payload = await verifiedPayload(token, keys, expected, clock);
  if (payload.tid !== undefined && payload.tid !== expected.tenantId) throw invalidToken('wrong tenant');
  if (typeof payload.oid !== 'string' || payload.oid === '') throw invalidToken('no oid claim');
  const appId = typeof payload.azp === 'string' ? payload.azp : typeof payload.appid === 'string' ? payload.appid : undefined;
  // requiredClaims and jose's own type check make exp a number here.
  return { oid: payload.oid.toLowerCase(), appId, expiresAtMs: (payload.exp as number) * 1000 };
}

async function verifiedPayload(token: string, keys: JWTVerifyGetKey, expected: EntraTokenExpectations, clock: Clock): Promise<JWTPayload> {
  const host = expected.authorityHost.replace(/\/+$/, '');
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: [`https://sts.windows.net/${expected.tenantId}/`, `${host}/${expected.tenantId}/v2.0`],
      audience: expected.audience,
      algorithms: ['RS256'],
      clockTolerance: expected.skewSeconds,
      currentDate: new Date(clock.nowMs()),
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (error: unknown) {
    // Anything else is a fault of ours, not of the token: it stays a 500.
    if (error instanceof errors.JOSEError || error instanceof SigningKeysUnavailable) throw invalidToken(reason(error));
    throw error;
  }
}

/** Claims that were missing or failed their check; a claim of the wrong type is 'malformed'. */
const CLAIM_REASONS: Readonly<Record<string, InvalidTokenReason>> = { iss: 'wrong issuer', aud: 'wrong audience', nbf: 'not yet valid', exp: 'no exp claim' };

/** jose's error as one of our fixed descriptions (jose's messages are never shown). */
function reason(error: errors.JOSEError | SigningKeysUnavailable): InvalidTokenReason {
  if (error instanceof SigningKeysUnavailable) return 'signing keys unavailable';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return (error.reason === 'invalid' ? undefined : CLAIM_REASONS[error.claim]) ?? 'malformed';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'unsupported algorithm';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown signing key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed';
}
