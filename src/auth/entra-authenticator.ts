import { verify as cryptoVerify } from 'node:crypto';
import { nowSeconds, type Clock } from '../clock';
import type { CallerPolicy, Operation } from '../config/caller-policy';
import { ServiceError } from '../errors';
import { decodeBase64Url } from '../jwt/base64url';
import type { AuthRequest, Authenticator, Caller } from './caller';
import { EntraSigningKeys } from './entra-keys';
import { principalObjectId } from './easy-auth-principal';

export interface EntraAuthenticatorOptions {
  tenantId: string;
  audience: string;
  authorityHost: string;
  policy: CallerPolicy;
  clock: Clock;
  /** Tolerance for exp/nbf of the caller's token. */
  skewSeconds?: number;
}

const REALM = 'kv-jwt';
const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

function unauthorized(description?: string): ServiceError {
  // RFC 6750 §3: no error code when the request had no token at all.
  const challenge = description === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
  return new ServiceError('unauthorized', description === undefined ? 'A bearer token is required.' : `The bearer token is not valid: ${description}.`, {
    details: { wwwAuthenticate: challenge },
  });
}

function header(request: AuthRequest, name: string): string | undefined {
  const headers = request.headers;
  return headers.get(name) ?? undefined;
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64Url(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * AUTH_MODE=entra: every call carries a Microsoft Entra access token (the Logic App's managed
 * identity token). Validated here, in code, whether or not App Service Authentication is on:
 * RS256 signature with the tenant's keys, issuer (v1 or v2 of the tenant), audience, lifetime. Then
 * the caller's object id must be in CALLER_POLICY with the operation allowed.
 */
export class EntraAuthenticator implements Authenticator {
  private readonly keys: EntraSigningKeys;
  private readonly issuers: Set<string>;

  constructor(private readonly options: EntraAuthenticatorOptions) {
    const host = options.authorityHost.replace(/\/+$/, '');
    this.keys = new EntraSigningKeys(`${host}/${options.tenantId}/discovery/v2.0/keys`, options.clock, { cooldownMs: 60_000, maxAgeMs: 24 * 3600_000, timeoutMs: 5000 });
    this.issuers = new Set([`https://sts.windows.net/${options.tenantId}/`, `${host}/${options.tenantId}/v2.0`]);
  }

  async authenticate(request: AuthRequest, operation: Operation): Promise<Caller> {
    const authorization = header(request, 'authorization');
    if (!authorization) throw unauthorized();
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
    if (!match) throw unauthorized('not a bearer JWT');
    const claims = await this.validate(match[1]);
    const oid = typeof claims.oid === 'string' ? claims.oid.toLowerCase() : undefined;
    if (!oid) throw unauthorized('no oid claim');

    // Easy Auth headers are trivially spoofed when Easy Auth is off: they never grant anything,
    // and when present they must name the same principal as the validated token.
    const principalId = header(request, 'x-ms-client-principal-id');
    if (principalId !== undefined && principalId.toLowerCase() !== oid) throw unauthorized('the client principal headers name another caller');
    const principal = header(request, 'x-ms-client-principal');
    if (principal !== undefined && principalObjectId(principal, OBJECT_ID_CLAIM) !== oid) throw unauthorized('the client principal headers name another caller');

    const permissions = this.options.policy.get(oid);
    if (!permissions || !permissions.operations.includes(operation)) {
      throw new ServiceError('forbidden', `This caller is not allowed to ${operation}.`, { details: { operation } });
    }
    const appId = typeof claims.azp === 'string' ? claims.azp : typeof claims.appid === 'string' ? claims.appid : undefined;
    return { id: oid, appId, permissions };
  }

  private async validate(token: string): Promise<Record<string, unknown>> {
    const [headerSegment, payloadSegment, signatureSegment] = token.split('.');
    const tokenHeader = parseJson(headerSegment);
    if (!tokenHeader) throw unauthorized('malformed');
    if (tokenHeader.alg !== 'RS256') throw unauthorized('unsupported algorithm');
    if (typeof tokenHeader.kid !== 'string') throw unauthorized('no kid');
    const key = await this.keys.get(tokenHeader.kid);
    if (!key) throw unauthorized('unknown signing key');
    const signature = decodeBase64Url(signatureSegment);
    if (!signature || !cryptoVerify('sha256', Buffer.from(`${headerSegment}.${payloadSegment}`), key, signature)) throw unauthorized('bad signature');
    const claims = parseJson(payloadSegment);
    if (!claims) throw unauthorized('malformed');
    const now = nowSeconds(this.options.clock);
    const skew = this.options.skewSeconds ?? 300;
    if (typeof claims.exp !== 'number' || now - skew >= claims.exp) throw unauthorized('expired');
    if (typeof claims.nbf === 'number' && now + skew < claims.nbf) throw unauthorized('not yet valid');
    if (typeof claims.iss !== 'string' || !this.issuers.has(claims.iss)) throw unauthorized('wrong issuer');
    if (claims.tid !== undefined && claims.tid !== this.options.tenantId) throw unauthorized('wrong tenant');
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(this.options.audience)) throw unauthorized('wrong audience');
    return claims;
  }
}
