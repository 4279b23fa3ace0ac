import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { mayRevoke } from '../src/auth/caller';
import { ServiceError } from '../src/errors';
import { readStringField } from '../src/http/body';
import { httpHandler, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/revoke (RFC 7009): `{ "token" }` or form `token=`. A token this service issued and that
 * is still valid is revoked everywhere until it expires — when it was issued to this caller (`azp`)
 * or is addressed to one of the audiences it may verify. Anything else (another caller's token,
 * unknown, expired, forged) is also answered 200 with no effect, as RFC 7009 §2.2 asks for a token
 * the server does not recognise for this client, so the endpoint reveals nothing about tokens.
 * A JWE is opened first (as /api/verify does) and the signed token inside is what gets revoked.
 */
export const revokeHandler = httpHandler('revoke', async ({ request, services, caller }) => {
  const { config } = services;
  const body = await readBody(request, config.limits.maxBodyBytes, 'json-or-form');
  const token = readStringField(body, 'token', true);
  readStringField(body, 'token_type_hint', false);
  if (!services.revocationService) {
    throw new ServiceError('revocation_unavailable', 'No revocation store is configured (AzureWebJobsStorage or REVOCATION_TABLE_URL).', { retryAfterSeconds: 60 });
  }
  const opened = await services.encryption.open(token);
  const result = opened.active === false ? opened : await services.verifier.verifyLocally(opened.token);
  const claims = result.active ? result.claims : undefined;
  if (claims && mayRevoke(caller, claims, config.audiences) && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
    await services.revocationService.revokeToken(claims.jti, claims.exp + Math.ceil(config.clockSkewMs / 1000), caller.id);
    services.metrics.revoked({ kind: 'token' });
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, kid: result.kid, jti: claims.jti, subHash: services.hashSubject(claims.sub) });
  } else {
    audit(services.logger, { operation: 'revoke', outcome: 'failure', caller: caller.id, kid: result.kid, code: result.active ? 'not_this_callers_token' : result.error });
  }
  return { status: 200, headers: { 'Cache-Control': 'no-store' } };
});

app.http('revoke', { methods: ['POST'], route: 'revoke', authLevel: 'anonymous', handler: revokeHandler });
