import { app } from '@azure/functions';
import { audit, hashSubject } from '../src/audit';
import { requireJsonObject } from '../src/http/body';
import { signToken } from '../src/jwt/sign';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/sign `{ claims, ttlSeconds?, encrypt? }` → `{ token, kid, alg, jti, issuedAt, expiresAt }`;
 * with `"encrypt": true` the token is a JWE around the signed JWT and `encryption` names its key.
 */
export const signHandler = httpHandler('sign', async ({ request, services, caller }) => {
  const { config } = services;
  const body = requireJsonObject(await readBody(request, config.limits.maxBodyBytes));
  const permissions = caller.permissions;
  const sealing = await services.encryption.plan({ encrypt: body.encrypt, claims: body.claims }, permissions);
  const allowedAudiences = config.audiences.filter((aud) => permissions.audiences.includes(aud));
  const signed = await signToken(
    { claims: body.claims, ttlSeconds: body.ttlSeconds, authorizedParty: caller.id },
    {
      issuer: config.issuer,
      audiences: allowedAudiences,
      allowedClaims: permissions.claims.includes('*') ? '*' : permissions.claims,
      maxClaimsBytes: config.limits.maxClaimsBytes,
      defaultTtlMs: config.defaultTtlMs,
      maxTtlMs: config.maxTtlMs,
      callerMaxTtlMs: permissions.maxTtlMs,
    },
    services,
  );
  const claims = body.claims as Record<string, unknown>;
  audit(services.logger, {
    operation: 'sign',
    outcome: 'success',
    caller: caller.id,
    kid: signed.kid,
    jti: signed.jti,
    subHash: hashSubject(claims.sub),
  });
  return json(200, sealing ? await sealing.seal(signed) : signed);
});

app.http('sign', { methods: ['POST'], route: 'sign', authLevel: 'anonymous', handler: signHandler });
