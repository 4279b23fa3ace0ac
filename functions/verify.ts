import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { audiencesToVerify } from '../src/auth/caller';
import { checkBinding } from '../src/binding/check-binding';
import { readPresentedBinding } from '../src/binding/presented-binding';
import { readStringField } from '../src/http/body';
import { activeIntrospectionJson } from '../src/http/introspection';
import { httpHandler, json, jsonText, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/verify `{ token, audience?, client_certificate?, dpop?, htm?, htu? }` or form `token=`
 * (RFC 7662 shape): an inactive token is a 200 `{ active: false, error }`, never an error status,
 * so callers branch on one field. A token is judged only against the audiences the calling caller
 * may verify (`audience` narrows further). A JWE (5 segments) is decrypted first and the signed JWT
 * inside is what gets verified. A bound token (`cnf`) is active only with the certificate or the
 * DPoP proof it is bound to; bearer tokens are unaffected.
 */
export const verifyHandler = httpHandler('verify', async ({ request, services, caller }) => {
  const body = await readBody(request, services.config.limits.maxBodyBytes, 'json-or-form');
  const token = readStringField(body, 'token', true);
  const audience = readStringField(body, 'audience', false, true);
  const presented = readPresentedBinding(body);
  const opened = await services.encryption.open(token);
  const result = opened.active === false ? opened : await services.verifier.verify(opened.token, audiencesToVerify(caller, services.config.audiences, audience));
  // A bound token (cnf, in the signed token inside a JWE) is active only with what it is bound to:
  // the token as the client presented it — the JWE itself when encrypted — is what `ath` hashes.
  // Checked on every call (proofs are never cached).
  const refusal = result.active && result.claims.cnf !== undefined ? await checkBinding(result.claims, { token: token as string, ...presented }, services.binding) : undefined;
  const error = result.active ? refusal?.error : result.error;
  services.metrics.verifyAnswered({ outcome: error ?? 'active' });
  if (error !== undefined || !result.active) {
    audit(services.logger, { operation: 'verify', outcome: 'failure', caller: caller.id, kid: result.kid, code: error, ...(refusal ? { detail: refusal.detail } : {}) });
    return json(200, { active: false, error });
  }
  return jsonText(200, activeIntrospectionJson(result.claims, result.payloadJson));
});

app.http('verify', { methods: ['POST'], route: 'verify', authLevel: 'anonymous', handler: verifyHandler });
