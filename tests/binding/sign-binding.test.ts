import { createHash } from 'node:crypto';
import { silentLogger } from '../../src/audit';
import type { BindingDependencies } from '../../src/binding/dependencies';
import { signBinding, type SignBindingRequest } from '../../src/binding/sign-binding';
import { TableReplayCache } from '../../src/binding/table-replay-cache';
import { systemClock } from '../../src/clock';
import { isServiceError } from '../../src/errors';
import { dpopClient, selfSignedCertificate, type ClientCertificate, type DpopClient } from '../support/binding-client';
import { azuriteTable } from '../support/replay-table';

const SIGN_URI = 'https://jwt.example/api/sign';
const deps = (): BindingDependencies => ({
  clock: systemClock,
  replayCache: new TableReplayCache({ client: azuriteTable(), clock: systemClock, logger: silentLogger }),
  proofWindowSeconds: 60,
  clockSkewSeconds: 5,
  signUri: SIGN_URI,
});
const thumbprint = (text: string): string => createHash('sha256').update(text).digest('base64url');

async function refusal(request: SignBindingRequest, policy?: 'optional' | 'required', dependencies = deps()): Promise<[number, string, string] | undefined> {
  try {
    await signBinding(request, policy, dependencies);
    return undefined;
  } catch (error: unknown) {
    if (!isServiceError(error)) throw error;
    return [error.status, error.code, error.message];
  }
}

describe('signBinding: what a sign request binds the token to', () => {
  let certificate: ClientCertificate;
  let client: DpopClient;
  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    client = await dpopClient();
  });

  it('binds nothing unless asked, and then strips nothing from the claims', async () => {
    expect(await signBinding({ claims: { aud: 'api://orders', sub: 'alice' } }, undefined, deps())).toEqual({ claims: { aud: 'api://orders', sub: 'alice' } });
  });

  it('takes claims.cnf in exactly the two shapes and moves it out of the caller claims', async () => {
    const jkt = thumbprint('key');
    expect(await signBinding({ claims: { aud: 'api://orders', cnf: { jkt } } }, undefined, deps())).toEqual({ claims: { aud: 'api://orders' }, confirmation: { jkt } });
    expect(await signBinding({ claims: { aud: 'a', cnf: { 'x5t#S256': certificate.x5t } } }, undefined, deps())).toEqual({ claims: { aud: 'a' }, confirmation: { 'x5t#S256': certificate.x5t } });
    for (const cnf of [null, {}, { jkt: 'short' }, { jwk: { kty: 'EC', crv: 'P-256' } }, { jkt, 'x5t#S256': jkt }, { jkt, kid: 'x' }, 'jkt']) {
      const refused = await refusal({ claims: { aud: 'a', cnf } });
      expect([cnf, refused?.slice(0, 2)]).toEqual([cnf, [400, 'invalid_claims']]);
      expect(refused?.[2]).toMatch(/"cnf"/);
    }
  });

  it('computes x5t#S256 from client_certificate (base64 DER or PEM); a malformed one is a 400 naming the field', async () => {
    expect((await signBinding({ claims: {}, client_certificate: certificate.der }, undefined, deps())).confirmation).toEqual({ 'x5t#S256': certificate.x5t });
    expect((await signBinding({ claims: {}, client_certificate: certificate.pem }, undefined, deps())).confirmation).toEqual({ 'x5t#S256': certificate.x5t });
    for (const value of ['garbage', '', 42, { der: certificate.der }, 'A'.repeat(20_000)]) {
      const refused = await refusal({ claims: {}, client_certificate: value });
      expect(refused?.slice(0, 2)).toEqual([400, 'invalid_request']);
      expect(refused?.[2]).toMatch(/^"client_certificate" /);
    }
  });

  it('takes jkt from a DPoP proof made for this sign request, once', async () => {
    const dependencies = deps();
    const proof = await client.proof('POST', SIGN_URI);
    expect((await signBinding({ claims: {}, dpop: proof }, undefined, dependencies)).confirmation).toEqual({ jkt: client.jkt });
    expect(await refusal({ claims: {}, dpop: proof }, undefined, dependencies)).toEqual([400, 'invalid_dpop_proof', '"dpop" was used before: make a new proof for each request.']);
  });

  it('refuses a proof made for another request, or carrying ath, with a 400 that says which check failed', async () => {
    expect(await refusal({ claims: {}, dpop: await client.proof('GET', SIGN_URI) })).toEqual([400, 'invalid_dpop_proof', '"dpop" was not made for this HTTP method (htm).']);
    expect(await refusal({ claims: {}, dpop: await client.proof('POST', 'https://jwt.example/api/verify') })).toEqual([400, 'invalid_dpop_proof', '"dpop" was not made for this URL (htu).']);
    expect((await refusal({ claims: {}, dpop: await client.proof('POST', SIGN_URI, 'some.access.token') }))?.slice(0, 2)).toEqual([400, 'invalid_dpop_proof']);
    expect((await refusal({ claims: {}, dpop: 'not.a.proof' }))?.slice(0, 2)).toEqual([400, 'invalid_dpop_proof']);
    expect((await refusal({ claims: {}, dpop: 7 }))?.slice(0, 2)).toEqual([400, 'invalid_request']);
  });

  it('binds one way only', async () => {
    const refused = await refusal({ claims: { cnf: { jkt: client.jkt } }, client_certificate: certificate.der });
    expect(refused?.slice(0, 2)).toEqual([400, 'invalid_request']);
    expect((await refusal({ claims: {}, client_certificate: certificate.der, dpop: await client.proof('POST', SIGN_URI) }))?.slice(0, 2)).toEqual([400, 'invalid_request']);
  });

  it('with binding "required", refuses to issue a bearer token (403) and issues a bound one', async () => {
    expect(await refusal({ claims: { aud: 'a' } }, 'required')).toEqual([403, 'binding_required', expect.stringMatching(/only issue bound tokens/) as string]);
    expect((await refusal({ claims: { aud: 'a' }, client_certificate: null, dpop: null }, 'required'))?.slice(0, 2)).toEqual([403, 'binding_required']);
    expect((await signBinding({ claims: { aud: 'a' }, client_certificate: certificate.der }, 'required', deps())).confirmation).toBeDefined();
    expect((await signBinding({ claims: { aud: 'a', cnf: { jkt: client.jkt } } }, 'required', deps())).confirmation).toEqual({ jkt: client.jkt });
  });
});
