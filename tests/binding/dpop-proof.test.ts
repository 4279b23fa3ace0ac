import { generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { checkDpopProof, DPOP_PROBLEM_MESSAGES, MAX_DPOP_PROOF_CHARS, type DpopExpectation } from '../../src/binding/dpop-proof';
import { ath, dpopClient, ecKeyPair, es256Signer, handMadeProof, hs256Signer, proofClaims, type DpopClient } from '../support/binding-client';

/**
 * RFC 9449 §4.3 with proofs made by the `dpop` npm package (a real client), and the hostile ones
 * no client library makes put together by hand.
 */
const API = 'https://api.example/orders/42';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const atResource: DpopExpectation = { htm: 'GET', htu: API, accessToken: TOKEN };
const timing = (offsetSeconds = 0): { nowMs: number; windowSeconds: number; skewSeconds: number } => ({ nowMs: Date.now() + offsetSeconds * 1000, windowSeconds: 60, skewSeconds: 5 });

async function problemOf(proof: string, expected: DpopExpectation = atResource, offsetSeconds = 0): Promise<string | undefined> {
  const result = await checkDpopProof(proof, expected, timing(offsetSeconds));
  return 'problem' in result ? result.problem : undefined;
}

describe('checkDpopProof (RFC 9449 §4.3)', () => {
  let client: DpopClient;
  beforeAll(async () => {
    client = await dpopClient('ES256');
  });

  it.each(['ES256', 'PS256', 'RS256', 'Ed25519'] as const)('accepts a valid %s proof and finds the jkt the client computed', async (alg) => {
    const other = alg === 'ES256' ? client : await dpopClient(alg);
    const proof = await other.proof('GET', API, TOKEN);
    const result = await checkDpopProof(proof, atResource, timing());
    expect(result).toEqual({ jkt: other.jkt, jti: expect.any(String) as string, expiresAt: expect.any(Number) as number });
    const { expiresAt } = result as { expiresAt: number };
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 60);
    expect(expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 66);
  });

  it('compares htu after normalization, without query and fragment', async () => {
    const proof = await client.proof('GET', 'HTTPS://API.EXAMPLE:443/orders/42', TOKEN);
    expect(await problemOf(proof, { ...atResource, htu: `${API}?expand=lines#x` })).toBeUndefined();
  });

  it('refuses a proof made for another method or another URL', async () => {
    expect(await problemOf(await client.proof('POST', API, TOKEN))).toBe('wrong_method');
    expect(await problemOf(await client.proof('get', API, TOKEN))).toBe('wrong_method');
    expect(await problemOf(await client.proof('GET', 'https://api.example/orders/43', TOKEN))).toBe('wrong_uri');
    expect(await problemOf(await client.proof('GET', 'https://evil.example/orders/42', TOKEN))).toBe('wrong_uri');
    expect(await problemOf(await client.proof('GET', 'http://api.example/orders/42', TOKEN))).toBe('wrong_uri');
  });

  it('refuses a stale proof and one from the future (iat outside window and skew)', async () => {
    const proof = await client.proof('GET', API, TOKEN);
    expect(await problemOf(proof, atResource, 60)).toBeUndefined(); // at the edge of the window
    expect(await problemOf(proof, atResource, 67)).toBe('stale');
    expect(await problemOf(proof, atResource, -4)).toBeUndefined(); // within the skew
    expect(await problemOf(proof, atResource, -30)).toBe('from_the_future');
  });

  it('binds the proof to the access token (ath) at a resource, and refuses ath at a token request', async () => {
    expect(await problemOf(await client.proof('GET', API, 'another.access.token'))).toBe('wrong_ath');
    expect(await problemOf(await client.proof('GET', API))).toBe('missing_ath');
    const signRequest = { htm: 'POST', htu: 'https://jwt.example/api/sign' };
    expect(await problemOf(await client.proof('POST', signRequest.htu), signRequest)).toBeUndefined();
    expect(await problemOf(await client.proof('POST', signRequest.htu, TOKEN), signRequest)).toBe('unexpected_ath');
  });

  it('refuses alg none and HMAC proofs, whatever they carry', async () => {
    const { publicJwk } = ecKeyPair();
    const none = handMadeProof({ typ: 'dpop+jwt', alg: 'none', jwk: publicJwk }, proofClaims('GET', API, { ath: ath(TOKEN) }), () => Buffer.alloc(0));
    expect(await problemOf(none)).toBe('unsupported_alg');
    const secret = randomBytes(32);
    const hmac = handMadeProof({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: secret.toString('base64url') } }, proofClaims('GET', API, { ath: ath(TOKEN) }), hs256Signer(secret));
    expect(await problemOf(hmac)).toBe('unsupported_alg');
  });

  it('refuses a private key inside jwk, even in a correctly signed proof', async () => {
    const { privateKey, privateJwk, publicJwk } = ecKeyPair();
    const claims = proofClaims('GET', API, { ath: ath(TOKEN) });
    const honest = handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, claims, es256Signer(privateKey));
    expect(await problemOf(honest)).toBeUndefined(); // the hand-made proofs are otherwise right
    const leaky = handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk }, { ...claims, jti: 'another' }, es256Signer(privateKey));
    expect(await problemOf(leaky)).toBe('private_key');
  });

  it('refuses a proof not signed by the key in its header', async () => {
    const victim = ecKeyPair();
    const thief = ecKeyPair();
    const forged = handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: victim.publicJwk }, proofClaims('GET', API, { ath: ath(TOKEN) }), es256Signer(thief.privateKey));
    expect(await problemOf(forged)).toBe('bad_signature');
    // A real proof with its header swapped for another key's.
    const [, payload, signature] = (await client.proof('GET', API, TOKEN)).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: victim.publicJwk })).toString('base64url');
    expect(await problemOf(`${header}.${payload}.${signature}`)).toBe('bad_signature');
  });

  it('refuses wrong types, missing claims and keys that do not fit', async () => {
    const { privateKey, publicJwk } = ecKeyPair();
    const sign = es256Signer(privateKey);
    const claims = proofClaims('GET', API, { ath: ath(TOKEN) });
    expect(await problemOf(handMadeProof({ typ: 'JWT', alg: 'ES256', jwk: publicJwk }, claims, sign))).toBe('wrong_type');
    expect(await problemOf(handMadeProof({ alg: 'ES256', jwk: publicJwk }, claims, sign))).toBe('wrong_type');
    expect(await problemOf(handMadeProof({ typ: 'application/dpop+jwt', alg: 'ES256', jwk: publicJwk }, claims, sign))).toBeUndefined();
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256' }, claims, sign))).toBe('bad_key');
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'RS256', jwk: publicJwk }, claims, sign))).toBe('bad_key');
    for (const missing of ['jti', 'htm', 'htu', 'iat']) {
      const { [missing]: _dropped, ...rest } = claims;
      expect([missing, await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, rest, sign))]).toEqual([missing, 'missing_claim']);
    }
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, { ...claims, iat: 'now' }, sign))).toBe('missing_claim');
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, { ...claims, jti: 'x'.repeat(257) }, sign))).toBe('missing_claim');
  });

  it('decides the same for a key it has seen before (imported keys are kept): the alg must still fit it', async () => {
    const { privateKey, publicJwk } = ecKeyPair();
    const sign = es256Signer(privateKey);
    const claims = (): Record<string, unknown> => proofClaims('GET', API, { ath: ath(TOKEN) });
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, claims(), sign))).toBeUndefined();
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, claims(), sign))).toBeUndefined();
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES384', jwk: publicJwk }, claims(), sign))).toBe('bad_key');
    expect(await problemOf(handMadeProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }, claims(), es256Signer(ecKeyPair().privateKey)))).toBe('bad_signature');
  });

  it('refuses RSA keys under 2048 bits', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = handMadeProof({ typ: 'dpop+jwt', alg: 'RS256', jwk: publicKey.export({ format: 'jwk' }) }, proofClaims('GET', API, { ath: ath(TOKEN) }), (input) => cryptoSign('sha256', Buffer.from(input), privateKey));
    expect(await problemOf(weak)).toBe('bad_key');
  });

  it('refuses oversized and malformed input without throwing', async () => {
    expect(await problemOf(`${'a'.repeat(MAX_DPOP_PROOF_CHARS)}.b.c`)).toBe('too_large');
    for (const input of ['', 'a.b', 'a.b.c', '...', (await client.proof('GET', API, TOKEN)).replace(/\.[^.]*$/, '.!!'), `${await client.proof('GET', API, TOKEN)}.extra`]) {
      expect([input.slice(0, 20), await problemOf(input)]).toEqual([input.slice(0, 20), expect.stringMatching(/malformed|wrong_type|bad_signature/)]);
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (input) => {
        const result = await checkDpopProof(input, atResource, timing());
        return 'problem' in result;
      }),
      { numRuns: 300 },
    );
  });

  it('has a sentence for every problem, none quoting the proof', () => {
    for (const message of Object.values(DPOP_PROBLEM_MESSAGES)) expect(message).toMatch(/^"dpop" /);
  });
});
