import { app } from '@azure/functions';
import { audit, hashSubject } from '../src/audit';
import { nowSeconds } from '../src/clock';
import { ServiceError } from '../src/errors';
import { requireJsonObject } from '../src/http/body';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/revocations (admin): `{ "sub": "…", "before"?: <unix seconds> }` revokes every token of a
 * subject issued at or before `before` (default now); `{ "all": true, "before"?: … }` revokes every
 * token issued before then — the big red button.
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
    await services.revocationService.revokeAllBefore(before, caller.id);
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, detail: `all tokens issued at or before ${before}` });
    return json(200, { revoked: 'all', before });
  }
  if (typeof body.sub === 'string' && body.sub.length > 0 && body.sub.length <= 1024 && body.all === undefined) {
    await services.revocationService.revokeSubject(body.sub, before, caller.id);
    audit(services.logger, { operation: 'revoke', outcome: 'success', caller: caller.id, subHash: hashSubject(body.sub), detail: `subject tokens issued at or before ${before}` });
    return json(200, { revoked: 'subject', before });
  }
  throw new ServiceError('invalid_request', 'Send { "sub": "…" } or { "all": true }, optionally with "before".');
});

app.http('revokeMany', { methods: ['POST'], route: 'revocations', authLevel: 'anonymous', handler: revokeManyHandler });
