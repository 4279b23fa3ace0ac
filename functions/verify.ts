import { app } from '@azure/functions';
import { andThen } from '../src/async/now-or-later';
import { audit } from '../src/audit';
import { readStringField } from '../src/http/body';
import { activeIntrospectionJson } from '../src/http/introspection';
import { httpHandler, json, jsonText, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/verify `{ token, audience? }` or form `token=` (RFC 7662 shape): an inactive token is a
 * 200 `{ active: false, error }`, never an error status, so callers branch on one field.
 */
export const verifyHandler = httpHandler('verify', ({ request, services, caller }) =>
  // Chained, not awaited: with the body in hand and a cached key the answer is written in this turn.
  andThen(readBody(request, services.config.limits.maxBodyBytes), (body) => {
    const token = readStringField(body, 'token', true);
    const audience = readStringField(body, 'audience', false);
    return andThen(services.verifier.verify(token, audience), (result) => {
      if (!result.active) {
        audit(services.logger, { operation: 'verify', outcome: 'failure', caller: caller.id, kid: result.kid, code: result.error });
        return json(200, { active: false, error: result.error });
      }
      return jsonText(200, activeIntrospectionJson(result.claims, result.payloadJson));
    });
  }),
);

app.http('verify', { methods: ['POST'], route: 'verify', authLevel: 'anonymous', handler: verifyHandler });
