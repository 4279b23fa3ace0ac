import { createHash } from 'node:crypto';
import { silentLogger } from '../../src/audit';
import { checkBinding, type PresentedBinding } from '../../src/binding/check-binding';
import type { BindingDependencies } from '../../src/binding/dependencies';
import { noReplayCache, type ReplayCache } from '../../src/binding/replay-cache';
import { TableReplayCache } from '../../src/binding/table-replay-cache';
import { systemClock } from '../../src/clock';
import { isServiceError } from '../../src/errors';
import { dpopClient, issuedCertificate, selfSignedCertificate, testCa, type ClientCertificate, type DpopClient } from '../support/binding-client';
import { azuriteTable } from '../support/replay-table';

const API = 'https://api.example/orders/42';
const TOKEN = 'header.payload.signature';
const deps = (replayCache: ReplayCache = new TableReplayCache({ client: azuriteTable(), clock: systemClock, logger: silentLogger })): BindingDependencies => ({
  clock: systemClock,
  replayCache,
  proofWindowSeconds: 60,
  clockSkewSeconds: 5,
  signUri: 'https://jwt.example/api/sign',
});

describe('checkBinding', () => {
  let certificate: ClientCertificate;
  let otherCertificate: ClientCertificate;
  let client: DpopClient;
  let thief: DpopClient;
  beforeAll(async () => {
    certificate = await issuedCertificate(await testCa());
    otherCertificate = await selfSignedCertificate();
    client = await dpopClient();
    thief = await dpopClient();
  });

  it('leaves bearer tokens alone, whatever the request brings', async () => {
    const presented: PresentedBinding = { token: TOKEN, clientCertificate: 'garbage', dpop: 'garbage', htm: 'GET', htu: API };
    expect(await checkBinding({ sub: 'alice' }, presented, deps(noReplayCache))).toBeUndefined();
  });

  describe('certificate-bound (cnf x5t#S256)', () => {
    const bound = (): Record<string, unknown> => ({ sub: 'alice', cnf: { 'x5t#S256': certificate.x5t } });

    it('is active with its certificate, as base64 DER or PEM', async () => {
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: certificate.der }, deps())).toBeUndefined();
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: certificate.pem }, deps())).toBeUndefined();
    });

    it('is refused without a certificate, with another one, or with something that is no certificate', async () => {
      expect(await checkBinding(bound(), { token: TOKEN }, deps())).toEqual({ error: 'binding_required', detail: 'no_certificate' });
      expect(await checkBinding(bound(), { token: TOKEN, dpop: await client.proof('GET', API, TOKEN), htm: 'GET', htu: API }, deps())).toMatchObject({ error: 'binding_required' });
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: otherCertificate.der }, deps())).toEqual({ error: 'binding_mismatch', detail: 'other_certificate' });
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: 'not a certificate' }, deps())).toEqual({ error: 'binding_mismatch', detail: 'certificate_malformed' });
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: 'A'.repeat(20_000) }, deps())).toEqual({ error: 'binding_mismatch', detail: 'certificate_too_large' });
    });
  });

  describe('DPoP-bound (cnf jkt)', () => {
    const bound = (): Record<string, unknown> => ({ sub: 'alice', cnf: { jkt: client.jkt } });
    /** The client's request is GET API; the proof may have been made for another one. */
    const presented = async (proofBy: DpopClient = client, proofHtm = 'GET', proofHtu = API): Promise<PresentedBinding> => ({ token: TOKEN, dpop: await proofBy.proof(proofHtm, proofHtu, TOKEN), htm: 'GET', htu: API });

    it('is active with a fresh proof by the bound key, once per proof', async () => {
      const dependencies = deps();
      const request = await presented();
      expect(await checkBinding(bound(), request, dependencies)).toBeUndefined();
      expect(await checkBinding(bound(), request, dependencies)).toEqual({ error: 'dpop_replayed', detail: 'replayed' });
      expect(await checkBinding(bound(), await presented(), dependencies)).toBeUndefined();
    });

    it('is refused without a proof, with a proof by another key, or with an invalid proof', async () => {
      expect(await checkBinding(bound(), { token: TOKEN }, deps())).toEqual({ error: 'binding_required', detail: 'no_proof' });
      expect(await checkBinding(bound(), { token: TOKEN, clientCertificate: certificate.der }, deps())).toMatchObject({ error: 'binding_required' });
      expect(await checkBinding(bound(), await presented(thief), deps())).toEqual({ error: 'binding_mismatch', detail: 'other_key' });
      expect(await checkBinding(bound(), await presented(client, 'POST'), deps())).toEqual({ error: 'dpop_invalid', detail: 'wrong_method' });
      expect(await checkBinding(bound(), await presented(client, 'GET', 'https://api.example/orders/43'), deps())).toEqual({ error: 'dpop_invalid', detail: 'wrong_uri' });
      const forAnotherToken = { token: TOKEN, dpop: await client.proof('GET', API, 'another.token.value'), htm: 'GET', htu: API };
      expect(await checkBinding(bound(), forAnotherToken, deps())).toEqual({ error: 'dpop_invalid', detail: 'wrong_ath' });
      expect(await checkBinding(bound(), { token: TOKEN, dpop: 'a.b.c', htm: 'GET', htu: API }, deps())).toMatchObject({ error: 'dpop_invalid' });
      expect(await checkBinding(bound(), { token: TOKEN, dpop: await client.proof('GET', API, TOKEN) }, deps())).toEqual({ error: 'dpop_invalid', detail: 'no_htm_htu' });
    });

    it('spends no replay-table write on a proof that is invalid or by another key', async () => {
      const replayCache = new TableReplayCache({ client: azuriteTable(), clock: systemClock, logger: silentLogger });
      await checkBinding(bound(), await presented(thief), deps(replayCache));
      await checkBinding(bound(), await presented(client, 'DELETE'), deps(replayCache));
      expect(replayCache.counts.inserts).toBe(0);
    });

    it('fails closed when the replay table can not be asked (503, never active)', async () => {
      const failure = await checkBinding(bound(), await presented(), deps(noReplayCache)).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isServiceError(failure) && [failure.code, failure.status]).toEqual(['replay_cache_unavailable', 503]);
    });
  });

  it('refuses a cnf in any shape it does not issue', async () => {
    const digest = createHash('sha256').update('x').digest('base64url');
    for (const cnf of [{ jwk: { kty: 'EC' } }, { jkt: digest, 'x5t#S256': digest }, { jkt: 'short' }, 'jkt', null]) {
      expect([cnf, await checkBinding({ cnf }, { token: TOKEN, clientCertificate: certificate.der }, deps())]).toEqual([cnf, { error: 'binding_mismatch', detail: 'unsupported_cnf' }]);
    }
  });
});
