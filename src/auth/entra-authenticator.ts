import type { JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock';
import type { CallerPolicy, Operation } from '../config/caller-policy';
import { ServiceError } from '../errors';
import { bearerToken } from './bearer-token';
import type { AuthRequest, Authenticator, Caller } from './caller';
import { invalidToken } from './challenge';
import { principalHeadersAgree } from './easy-auth-principal';
import { tenantKeysUrl, tenantSigningKeys } from './entra-keys';
import { verifyEntraToken, type EntraTokenExpectations } from './entra-token';

export interface EntraAuthenticatorOptions {
  tenantId: string;
  audience: string;
  authorityHost: string;
  policy: CallerPolicy;
  clock: Clock;
  /** Tolerance for exp/nbf of the caller's token. */
  skewSeconds?: number;
  /** The tenant's signing keys; tenantSigningKeys() of `authorityHost` by default. */
  signingKeys?: JWTVerifyGetKey;
}

function headerReader(request: AuthRequest): (name: string) => string | undefined {
  return (name) => request.headers.get(name) ?? undefined;
}

/**
 * AUTH_MODE=entra: every call carries a Microsoft Entra access token (the Logic App's managed
 * identity token), validated here in code whether or not App Service Authentication is on
 * (verifyEntraToken). Then the Easy Auth headers, when present, must agree, and the caller's
 * CALLER_POLICY entry must allow the operation.
 */
export class EntraAuthenticator implements Authenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly expected: EntraTokenExpectations;

  constructor(private readonly options: EntraAuthenticatorOptions) {
    const skewSeconds = options.skewSeconds ?? 300;
    this.keys = options.signingKeys ?? tenantSigningKeys(tenantKeysUrl(options.authorityHost, options.tenantId), options.clock);
    this.expected = { tenantId: options.tenantId, authorityHost: options.authorityHost, audience: options.audience, skewSeconds };
  }

  async authenticate(request: AuthRequest, operation: Operation): Promise<Caller> {
    const header = headerReader(request);
    const identity = await verifyEntraToken(bearerToken(header('authorization')), this.keys, this.expected, this.options.clock);
    if (!principalHeadersAgree(header, identity.oid)) throw invalidToken('the client principal headers name another caller');
    const permissions = this.options.policy.get(identity.oid);
    if (!permissions?.operations.includes(operation)) {
      throw new ServiceError('forbidden', `This caller is not allowed to ${operation}.`, { details: { operation } });
    }
    return { id: identity.oid, appId: identity.appId, permissions };
  }
}
