import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { requireJsonObject } from '../src/http/body';
import { signToken } from '../src/jwt/sign';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/** POST /api/sign `{ claims, ttlSeconds? }` → `{ token, kid, alg, jti, issuedAt, expiresAt }`. */
export const signHandler = httpHandler('sign', async ({ request, services, caller }) => {
  const { config } = services;
  const body = requireJsonObject(await readBody(request, config.limits.maxBodyBytes));
  const permissions = caller.permissions;
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
    subHash: services.hashSubject(claims.sub),
  });
  services.metrics.tokenSigned({ alg: signed.alg, caller: caller.id });
  return json(200, signed);
});

app.http('sign', { methods: ['POST'], route: 'sign', authLevel: 'anonymous', handler: signHandler });
