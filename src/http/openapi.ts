import { ERROR_STATUS } from '../errors';
import { VERIFY_ERROR_CODES } from '../jwt/verify-errors';

/**
 * OpenAPI 3 description of the HTTP API, for a Logic Apps custom connector or an API Management
 * import. A test keeps its paths and methods equal to the registered functions.
 */
const problem = {
  description: 'RFC 9457 problem document with a stable code.',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'code', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
          detail: { type: 'string' },
        },
      },
    },
  },
};

const errors = { '400': problem, '401': problem, '403': problem, '413': problem, '415': problem, '503': problem };
const tokenBody = {
  required: true,
  content: {
    'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' }, audience: { type: 'string' } } } },
    'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' }, token_type_hint: { type: 'string' } } } },
  },
};
/** What the client presented to the API, for a bound token (`cnf`): its certificate, or its DPoP proof with the request it was made for. */
const presentedBinding = {
  client_certificate: { type: 'string', maxLength: 16384, description: "The client's TLS certificate, base64 DER (X-ARR-ClientCert, context.Request.Certificate.RawData) or PEM." },
  dpop: { type: 'string', maxLength: 8192, description: "The client's DPoP header (RFC 9449). Needs htm and htu." },
  htm: { type: 'string', description: 'HTTP method of the request the client made (with dpop).' },
  htu: { type: 'string', format: 'uri', description: 'Absolute URL the client called, query ignored (with dpop).' },
};
const verifyBody = {
  required: true,
  content: {
    'application/json': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' }, audience: { type: 'string' }, ...presentedBinding } } },
    'application/x-www-form-urlencoded': { schema: { type: 'object', required: ['token'], properties: { token: { type: 'string' }, token_type_hint: { type: 'string' }, ...presentedBinding } } },
  },
};
const thumbprint = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' };
/** RFC 7800 `cnf` in the two shapes this service issues. */
const confirmation = {
  description: 'Binds the token: the SHA-256 thumbprint of a client certificate (RFC 8705) or of a DPoP key (RFC 9449).',
  oneOf: [
    { type: 'object', required: ['x5t#S256'], additionalProperties: false, properties: { 'x5t#S256': thumbprint } },
    { type: 'object', required: ['jkt'], additionalProperties: false, properties: { jkt: thumbprint } },
  ],
};
const jsonObject = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });

export function openApiDocument(serverUrl: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'kv-jwt', version: '0.1.0', description: 'Issue and check JWTs with signing keys that never leave Azure Key Vault.' },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { entra: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Microsoft Entra access token for AUTH_AUDIENCE (a managed identity token).' } },
    },
    paths: {
      '/sign': {
        post: {
          operationId: 'sign',
          summary: 'Sign a JWT with the active key (Key Vault sign, pinned version).',
          security: [{ entra: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['claims'],
                  properties: {
                    claims: { type: 'object', required: ['aud'], properties: { aud: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, sub: { type: 'string' }, nbf: { type: 'integer' }, cnf: confirmation } },
                    ttlSeconds: { type: 'integer', minimum: 1 },
                    client_certificate: { ...presentedBinding.client_certificate, description: "Bind the token to this client certificate (cnf x5t#S256): base64 DER or PEM. One of claims.cnf, client_certificate, dpop." },
                    dpop: { ...presentedBinding.dpop, description: 'Bind the token to the key of this DPoP proof (cnf jkt), made for POST <api>/sign, without ath.' },
                    encrypt: { type: 'boolean', description: 'Return a nested JWT: the signed JWT inside a JWE (RSA-OAEP-256, A256GCM) to this service, or to the audience\'s own key (JWT_ENCRYPTION_AUDIENCE_JWKS).' },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The signed token.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      token: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, jti: { type: 'string' }, issuedAt: { type: 'integer' }, expiresAt: { type: 'integer' },
                      encryption: { type: 'object', description: 'With "encrypt": true.', properties: { kid: { type: 'string' }, alg: { type: 'string' }, enc: { type: 'string' }, recipient: { type: 'string' } } },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/verify': {
        post: {
          operationId: 'verify',
          summary: 'Verify a token (RFC 7662-shaped answer); a bound token with the certificate or DPoP proof it is bound to.',
          security: [{ entra: [] }],
          requestBody: verifyBody,
          responses: {
            '200': {
              description: '`active: true` with the claims, or `active: false` with the reason.',
              content: { 'application/json': { schema: { type: 'object', required: ['active'], properties: { active: { type: 'boolean' }, error: { type: 'string', enum: [...VERIFY_ERROR_CODES] } } } } },
            },
            ...errors,
          },
        },
      },
      '/revoke': { post: { operationId: 'revoke', summary: 'Revoke a token (RFC 7009).', security: [{ entra: [] }], requestBody: tokenBody, responses: { '200': { description: 'Revoked, or nothing to revoke.' }, ...errors } } },
      '/revocations': {
        post: {
          operationId: 'revokeMany',
          summary: 'Admin: revoke every token of a subject, or every token, issued before a time.',
          security: [{ entra: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { sub: { type: 'string' }, all: { type: 'boolean' }, before: { type: 'integer' } } } } } },
          responses: { '200': jsonObject('What was revoked.'), ...errors },
        },
      },
      '/.well-known/jwks.json': { get: { operationId: 'jwks', summary: 'Public keys (announced, active, retired).', responses: { '200': jsonObject('JWK Set.') } } },
      '/.well-known/openid-configuration': { get: { operationId: 'openidConfiguration', summary: 'OpenID provider metadata.', responses: { '200': jsonObject('Discovery document.') } } },
      '/keys': { get: { operationId: 'keys', summary: 'Admin: the key ring with phases and dates.', security: [{ entra: [] }], responses: { '200': jsonObject('Key versions.'), ...errors } } },
      '/keys/timeline': {
        get: {
          operationId: 'keysTimeline',
          summary: 'Admin: the key ring as an SVG timeline (phases, now, next rotation, emergency rotations).',
          security: [{ entra: [] }],
          responses: { '200': { description: 'SVG image: static markup, no script.', content: { 'image/svg+xml': { schema: { type: 'string' } } } }, ...errors },
        },
      },
      '/keys/rotate': {
        post: {
          operationId: 'rotateKeysNow',
          summary: 'Admin: schedule the next key, or an emergency rotation.',
          security: [{ entra: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { emergency: { type: 'boolean' }, reason: { type: 'string' }, use: { type: 'string', enum: ['sig', 'enc'] } } } } } },
          responses: { '200': jsonObject('The new or announced key.'), ...errors },
        },
      },
      '/health': { get: { operationId: 'health', summary: 'Liveness, readiness and rotation health.', responses: { '200': jsonObject('Healthy or degraded.'), '503': jsonObject('Can not sign.') } } },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This document.', responses: { '200': jsonObject('OpenAPI 3 document.') } } },
    },
  };
}
