import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { readStringField } from '../src/http/body';
import { verifyToken } from '../src/jwt/verify';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/verify `{ token, audience? }` or form `token=` (RFC 7662 shape): an inactive token is a
 * 200 `{ active: false, error }`, never an error status, so callers branch on one field.
 */
export const verifyHandler = httpHandler('verify', async ({ request, services, caller }) => {
  const { config } = services;
  const body = await readBody(request, config.limits.maxBodyBytes);
  const token = readStringField(body, 'token', true);
  const audience = readStringField(body, 'audience', false);
  const result = await verifyToken(
    token,
    {
      issuer: config.issuer,
      audiences: config.audiences,
      clockSkewSeconds: Math.floor(config.clockSkewMs / 1000),
      maxTokenBytes: config.limits.maxTokenBytes,
    },
    {
      ring: services.ring,
      clock: services.clock,
      revocations: services.revocations,
      remoteVerify:
        config.verifyMode === 'keyvault' && services.store.verifyDigest
          ? services.store.verifyDigest.bind(services.store)
          : undefined,
    },
    audience,
  );
  if (!result.active) {
    audit(services.logger, { operation: 'verify', outcome: 'failure', caller: caller.id, kid: result.kid, code: result.error });
    return json(200, { active: false, error: result.error });
  }
  return json(200, { ...result.claims, active: true });
});

app.http('verify', { methods: ['POST'], route: 'verify', authLevel: 'anonymous', handler: verifyHandler });
