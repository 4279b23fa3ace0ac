import type { JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock';
import type { CallerPolicy, Operation } from '../config/caller-policy';
import { ServiceError } from '../errors';
import { bearerToken } from './bearer-token';
import type { AuthRequest, Authenticator, Caller } from './caller';
import { invalidToken } from './challenge';
import { principalHeadersAgree } from './easy-auth-principal';
import { tenantKeysUrl, tenantSigningKeys } from './entra-keys';
import { verifyEntraToken, type EntraIdentity, type EntraTokenExpectations } from './entra-token';
import { VERDICT_CACHE_DEFAULTS, VerdictCache, verdictKey, type VerdictCacheOptions } from './verdict-cache';

export interface EntraAuthenticatorOptions {
  tenantId: string;
  audience: string;
  authorityHost: string;
  policy: CallerPolicy;
  clock: Clock;
  /** Tolerance for exp/nbf of the caller's token; also how long before exp a cached verdict ends. */
  skewSeconds?: number;
  /** The tenant's signing keys; tenantSigningKeys() of `authorityHost` by default. */
  signingKeys?: JWTVerifyGetKey;
  /** Bounds of the verdict cache (entries, age). */
  verdictCache?: Partial<Pick<VerdictCacheOptions, 'maxEntries' | 'maxAgeMs'>>;
}

function headerReader(request: AuthRequest): (name: string) => string | undefined {
  return (name) => request.headers.get(name) ?? undefined;
}

/**
 * AUTH_MODE=entra: every call carries a Microsoft Entra access token (the Logic App's managed
 * identity token), validated here in code whether or not App Service Authentication is on
 * (verifyEntraToken). A validated token's verdict is cached; the Easy Auth headers and the
 * caller's CALLER_POLICY entry are checked on every call.
 */
export class EntraAuthenticator implements Authenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly expected: EntraTokenExpectations;
  private readonly verdicts: VerdictCache<EntraIdentity>;

  constructor(private readonly options: EntraAuthenticatorOptions) {
    const skewSeconds = options.skewSeconds ?? 300;
    this.keys = options.signingKeys ?? tenantSigningKeys(tenantKeysUrl(options.authorityHost, options.tenantId), options.clock);
    this.expected = { tenantId: options.tenantId, authorityHost: options.authorityHost, audience: options.audience, skewSeconds };
    this.verdicts = new VerdictCache(options.clock, { ...VERDICT_CACHE_DEFAULTS, ...options.verdictCache, expiryMarginMs: skewSeconds * 1000 });
  }

  async authenticate(request: AuthRequest, operation: Operation): Promise<Caller> {
    const header = headerReader(request);
    const identity = await this.identify(bearerToken(header('authorization')));
    if (!principalHeadersAgree(header, identity.oid)) throw invalidToken('the client principal headers name another caller');
    const permissions = this.options.policy.get(identity.oid);
    if (!permissions?.operations.includes(operation)) {
      throw new ServiceError('forbidden', `This caller is not allowed to ${operation}.`, { details: { operation } });
    }
    return { id: identity.oid, appId: identity.appId, permissions };
  }

  /** Cached verdict, or a full validation whose success (only) is remembered. */
  private async identify(token: string): Promise<EntraIdentity> {
    const key = verdictKey(token);
    const cached = this.verdicts.get(key);
    if (cached) return cached;
    const identity = await verifyEntraToken(token, this.keys, this.expected, this.options.clock);
    this.verdicts.set(key, identity);
    return identity;
  }
}
