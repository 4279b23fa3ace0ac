/**
 * What is published (jwks.ts): the JWKS — signing keys a verifier must know, encryption keys in the
 * order a sender should prefer them, never a disabled key or an HMAC secret — and OpenID discovery.
 */
import type { KeyVersion } from '../../src/keys/key-store';
import { buildDiscovery, buildJwks } from '../../src/keys/jwks';
import { computePhases } from '../../src/keys/phases';
import { localConfig } from '../support/config';

const NOW = 1_800_000_000;
const POLICY = { alg: 'ES256' as const, retentionSeconds: 3600 };

function signing(kid: string, activatesAt: number, enabled = true): KeyVersion {
  return { kid, alg: 'ES256', created: activatesAt - 10, notBefore: activatesAt, enabled, tags: {}, publicJwk: { kty: 'EC', kid, alg: 'ES256', use: 'sig', crv: 'P-256', x: `x-${kid}`, y: `y-${kid}` } };
}

function encryption(kid: string, activatesAt: number, enabled = true): KeyVersion<'RSA-OAEP-256'> {
  return { kid, alg: 'RSA-OAEP-256', created: activatesAt - 10, notBefore: activatesAt, enabled, tags: {}, publicJwk: { kty: 'RSA', kid, alg: 'RSA-OAEP-256', use: 'enc', n: `n-${kid}`, e: 'AQAB' } };
}

describe('buildJwks', () => {
  it('publishes announced, active and retired signing keys, never a disabled one', () => {
    const phased = computePhases([signing('retired', NOW - 200), signing('active', NOW - 100), signing('announced', NOW + 100), signing('disabled', NOW - 300, false)], NOW, POLICY);
    expect(phased.map((p) => p.phase).sort()).toEqual(['active', 'announced', 'disabled', 'retired']);
    expect(buildJwks(phased).keys.map((key) => key.kid)).toEqual(['retired', 'active', 'announced']);
  });

  it('publishes exactly the public JWK of each version, no private member, no HMAC secret', () => {
    const hmac: KeyVersion = { kid: 'hmac', alg: 'HS256', created: NOW - 100, enabled: true, tags: {} };
    const phased = computePhases([signing('active', NOW - 100), hmac], NOW, POLICY);
    const { keys } = buildJwks(phased);
    expect(keys).toEqual([signing('active', NOW - 100).publicJwk]);
  });

  it('lists encryption keys after the signing keys, the active one first, then announced, then retired (newest first within a phase)', () => {
    const encPolicy = { alg: 'RSA-OAEP-256' as const, retentionSeconds: 3600 };
    const enc = computePhases([encryption('old', NOW - 300), encryption('previous', NOW - 200), encryption('current', NOW - 100), encryption('next', NOW + 100), encryption('gone', NOW - 400, false)], NOW, encPolicy);
    const { keys } = buildJwks(computePhases([signing('sig', NOW - 100)], NOW, POLICY), enc);
    expect(keys.map((key) => [key.kid, key.use])).toEqual([['sig', 'sig'], ['current', 'enc'], ['next', 'enc'], ['previous', 'enc'], ['old', 'enc']]);
  });

  it('publishes an empty set when there is nothing to publish', () => {
    expect(buildJwks([])).toEqual({ keys: [] });
  });
});

describe('OpenID discovery', () => {
  it('points at this service: issuer, JWKS, introspection and revocation under the API base URL', () => {
    const config = localConfig();
    const discovery = buildDiscovery(config);
    expect(discovery).toMatchObject({
      issuer: config.issuer,
      jwks_uri: `${config.apiBaseUrl}/.well-known/jwks.json`,
      introspection_endpoint: `${config.apiBaseUrl}/verify`,
      revocation_endpoint: `${config.apiBaseUrl}/revoke`,
      id_token_signing_alg_values_supported: [config.alg],
    });
  });

  it('advertises no signing algorithm for HMAC tokens: public verifiers can not check them', () => {
    expect(buildDiscovery(localConfig({ JWT_ALG: 'HS256' })).id_token_signing_alg_values_supported).toEqual([]);
  });
});

describe('OpenID discovery: bound tokens', () => {
  it('advertises DPoP (asymmetric proof algorithms only) and certificate-bound tokens', () => {
    const discovery = buildDiscovery(localConfig());
    expect(discovery.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(discovery.dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519']);
    expect(discovery.claims_supported).toContain('cnf');
  });

  it('advertises the same in HMAC mode: the proofs are the client\'s, whatever signs the tokens', () => {
    expect(buildDiscovery(localConfig({ JWT_ALG: 'HS256' })).dpop_signing_alg_values_supported).not.toContain('HS256');
  });
});
