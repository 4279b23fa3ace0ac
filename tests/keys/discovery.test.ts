import { buildDiscovery } from '../../src/keys/jwks';
import { localConfig } from '../support/config';

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
