import { app } from '@azure/functions';
import { audit } from '../src/audit';
import { bindingMethod } from '../src/binding/confirmation';
import { signBinding } from '../src/binding/sign-binding';
import { requireJsonObject } from '../src/http/body';
import { signToken } from '../src/jwt/sign';
import { httpHandler, json, readBody } from './shared/http';
import './shared/startup';

/**
 * POST /api/sign `{ claims, ttlSeconds?, client_certificate?, dpop?, encrypt? }` → `{ token, kid, alg,
 * jti, issuedAt, expiresAt }`. A certificate, a DPoP proof or `claims.cnf` binds the token (`cnf`);
 * with `"encrypt": true` the token is a JWE around the signed JWT and `encryption` names its key.
 */
export const signHandler = httpHandler('sign', async ({ request, services, caller }) => {
  const { config } = services;
  const body = requireJsonObject(await readBody(request, config.limits.maxBodyBytes));
  const permissions = caller.permissions;
  // The encryption plan first: a bad `encrypt` or a policy refusal answers before a DPoP proof is spent.
  const sealing = await services.encryption.plan({ encrypt: body.encrypt, claims: body.claims }, permissions);
  const bound = await signBinding(body, permissions.binding, services.binding);
  const allowedAudiences = config.audiences.filter((aud) => permissions.audiences.includes(aud));
  const signed = await signToken(
    { claims: bound.claims, ttlSeconds: body.ttlSeconds, authorizedParty: caller.id, cnf: bound.confirmation },
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
  const claims = bound.claims as Record<string, unknown>;
  audit(services.logger, {
    operation: 'sign',
    outcome: 'success',
    caller: caller.id,
    kid: signed.kid,
    jti: signed.jti,
    subHash: services.hashSubject(claims.sub),
    ...(bound.confirmation ? { detail: `bound:${bindingMethod(bound.confirmation)}` } : {}),
  });
  services.metrics.tokenSigned({ alg: signed.alg, caller: caller.id });
  return json(200, sealing ? await sealing.seal(signed) : signed);
});

app.http('sign', { methods: ['POST'], route: 'sign', authLevel: 'anonymous', handler: signHandler });
