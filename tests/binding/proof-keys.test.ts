import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, type JWSHeaderParameters } from 'jose';
import { proofKey } from '../../src/binding/proof-keys';

/**
 * The keys of DPoP proofs, imported once per distinct header key: a cached entry is what importing
 * would give, a header that differs in any way is imported afresh (and refused as import would
 * refuse it), and the cache is bounded.
 */
const TOKEN = { payload: '', signature: '' };

function publicJwk(): JWK {
  const { kty, crv, x, y } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return { kty: String(kty), crv, x, y };
}

const header = (jwk: JWK, alg = 'ES256'): JWSHeaderParameters => ({ alg, typ: 'dpop+jwt', jwk });

describe('proofKey', () => {
  it("imports the header's public key and its RFC 7638 SHA-256 thumbprint", async () => {
    const jwk = publicJwk();
    const { key, jkt } = await proofKey(header(jwk), TOKEN);
    expect(jkt).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
    expect((key as { type?: string }).type).toBe('public');
  });

  it('answers the same key again from its cache, also for a header written with the same text', async () => {
    const jwk = publicJwk();
    const first = await proofKey(header(jwk), TOKEN);
    expect(await proofKey(header({ ...jwk }), TOKEN)).toBe(first);
  });

  it('imports afresh when only the alg differs: an entry is what import made of that very header', async () => {
    const jwk = publicJwk();
    const es256 = await proofKey(header(jwk, 'ES256'), TOKEN);
    const es384 = await proofKey(header(jwk, 'ES384'), TOKEN);
    expect(es384).not.toBe(es256);
    expect(es384.jkt).toBe(es256.jkt);
    expect(await proofKey(header(jwk, 'ES256'), TOKEN)).toBe(es256);
  });

  it('refuses a private key in the header, even after its public half was cached', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const priv = pair.privateKey.export({ format: 'jwk' });
    const pub = { kty: priv.kty, crv: priv.crv, x: priv.x, y: priv.y } as JWK;
    await proofKey(header(pub), TOKEN);
    await expect(proofKey(header({ ...pub, d: priv.d }), TOKEN)).rejects.toThrow(/must be a public key/);
  });

  it('refuses a header without a jwk object', async () => {
    await expect(proofKey({ alg: 'ES256' }, TOKEN)).rejects.toThrow(/"jwk" \(JSON Web Key\) Header Parameter must be a JSON object/);
  });

  it('holds at most 1000 keys (the input is attacker-controlled), letting the oldest go first', async () => {
    const oldest = publicJwk();
    const kept = await proofKey(header(oldest), TOKEN);
    const newest = publicJwk();
    const recent = await proofKey(header(newest), TOKEN);
    for (let i = 0; i < 999; i += 1) await proofKey(header(publicJwk()), TOKEN);
    expect(await proofKey(header(newest), TOKEN)).toBe(recent);
    const again = await proofKey(header(oldest), TOKEN);
    expect(again).not.toBe(kept);
    expect(again.jkt).toBe(kept.jkt);
  });
});
