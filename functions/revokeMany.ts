import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { nowSeconds } from '../src/clock';
import { ServiceError } from '../src/errors';
import { requireJsonObject } from '../src/http/body';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/revocations (admin): `{ "sub": "…", "before"?: <unix seconds> }` revokes every token of a
 * subject issued at or before `before` (default now); `{ "all": true, "before"?: … }` revokes every
 * token issued before then — the big red button. A cut-off only ever moves later: an earlier
 * `before` than the one in force changes nothing, and the answer says which cut-off is in force.
 */
export const revokeManyHandler = httpHandler('admin', async ({ request, services, caller }) => {
  const body = requireJsonObject(await readBody(request, services.config.limits.maxBodyBytes));
  const now = nowSeconds(services.clock);
  const before = body.before === undefined ? now : body.before;
  if (typeof before !== 'number' || !Number.isSafeInteger(before) || before < 0 || before > now) {
    throw new ServiceError('invalid_request', '"before" must be a NumericDate (whole Unix seconds) not in the future.');
  }
  if (!services.revocationService) {
    throw new ServiceError('revocation_unavailable', 'No revocation store is configured (AzureWebJobsStorage or REVOCATION_TABLE_URL).', { retryAfterSeconds: 60 });
  }
  if (body.all === true && body.sub === undefined) {
    const inForce = await services.revocationService.revokeAllBefore(before, caller.id);
    services.metrics.revoked({ kind: 'all' });
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, detail: `all tokens issued at or before ${inForce}` });
    return json(200, { revoked: 'all', before: inForce });
  }
  if (typeof body.sub === 'string' && body.sub.length > 0 && body.all === undefined) {
    // Every subject sign accepts can be revoked: the same bound as the claims it came in.
    if (Buffer.byteLength(body.sub) > services.config.limits.maxClaimsBytes) {
      throw new ServiceError('invalid_request', `"sub" may be at most ${services.config.limits.maxClaimsBytes} bytes, as when signing.`);
    }
    const inForce = await services.revocationService.revokeSubject(body.sub, before, caller.id);
    services.metrics.revoked({ kind: 'subject' });
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, subHash: services.hashSubject(body.sub), detail: `subject tokens issued at or before ${inForce}` });
    return json(200, { revoked: 'subject', before: inForce });
  }
  throw new ServiceError('invalid_request', 'Send { "sub": "…" } or { "all": true }, optionally with "before".');
});

app.http('revokeMany', { methods: ['POST'], route: 'revocations', authLevel: 'anonymous', handler: revokeManyHandler });
