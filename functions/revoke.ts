import { app } from '@azure/functions';
import { audit, hashSubject } from '../src/audit';
import { ServiceError } from '../src/errors';
import { readStringField } from '../src/http/body';
import { httpHandler, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/revoke (RFC 7009): `{ "token" }` or form `token=`. A token this service issued and that
 * is still valid is revoked everywhere until it expires; anything else (unknown, expired, forged)
 * is also answered 200, as the RFC asks, so the endpoint reveals nothing about tokens.
 */
export const revokeHandler = httpHandler('revoke', async ({ request, services, caller }) => {
  const { config } = services;
  const body = await readBody(request, config.limits.maxBodyBytes);
  const token = readStringField(body, 'token', true);
  readStringField(body, 'token_type_hint', false);
  if (!services.revocationService) {
    throw new ServiceError('revocation_unavailable', 'No revocation store is configured (AzureWebJobsStorage or REVOCATION_TABLE_URL).', { retryAfterSeconds: 60 });
  }
  const result = await services.verifier.verifyLocally(token);
  if (result.active && typeof result.claims.jti === 'string' && typeof result.claims.exp === 'number') {
    await services.revocationService.revokeToken(result.claims.jti, result.claims.exp + Math.ceil(config.clockSkewMs / 1000), caller.id);
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, kid: result.kid, jti: result.claims.jti, subHash: hashSubject(result.claims.sub) });
  } else {
    audit(services.logger, { operation: 'revoke', outcome: 'failure', caller: caller.id, kid: result.kid, code: result.active ? 'no_jti' : result.error });
  }
  return { status: 200, headers: { 'Cache-Control': 'no-store' } };
});

app.http('revoke', { methods: ['POST'], route: 'revoke', authLevel: 'anonymous', handler: revokeHandler });
