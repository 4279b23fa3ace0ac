import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healthHandler } from '../../functions/health';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';
import { getServices } from '../../src/app/services';
import type { MetricsSnapshot } from '../../src/telemetry/metrics';
import { dpopClient, selfSignedCertificate, type ClientCertificate, type DpopClient } from '../support/binding-client';
import { useProcessSettings } from '../support/process-settings';
import { uniqueTableName } from '../support/replay-table';

/**
 * Bound tokens through the sign and verify handlers in process (the library's own HttpRequest and
 * InvocationContext, the embedded store, the shared Azurite for the replay table).
 */
const SIGN_URI = 'http://localhost:7071/api/sign'; // the configured public URL (no WEBSITE_HOSTNAME, port 7071)
const API = 'https://orders.example/orders/42';
const context = (): InvocationContext => new InvocationContext({ functionName: 'binding', invocationId: 'test-invocation', logHandler: () => undefined });
const post = (path: string, body: string, contentType = 'application/json'): HttpRequest =>
  new HttpRequest({ method: 'POST', url: `http://127.0.0.1:7071/api/${path}`, headers: { host: '127.0.0.1:7071', 'content-type': contentType }, body: { string: body } });
const answer = (response: HttpResponseInit): Record<string, unknown> => (response.jsonBody ?? JSON.parse(response.body as string)) as Record<string, unknown>;
const sign = async (body: Record<string, unknown>): Promise<HttpResponseInit> => signHandler(post('sign', JSON.stringify(body)), context());
const verify = async (body: Record<string, unknown>): Promise<Record<string, unknown>> => {
  const response = await verifyHandler(post('verify', JSON.stringify(body)), context());
  expect(response.status).toBe(200);
  return answer(response);
};
const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

async function tokenFrom(body: Record<string, unknown>): Promise<string> {
  const response = await sign({ claims: { sub: 'alice', aud: 'api://orders' }, ...body });
  expect([response.status, answer(response).code]).toEqual([200, undefined]);
  return answer(response).token as string;
}

describe('bound tokens through the handlers', () => {
  let dir: string;
  let restore: () => Promise<void>;
  let certificate: ClientCertificate;
  let otherCertificate: ClientCertificate;
  let client: DpopClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-binding-route-'));
    restore = await useProcessSettings({
      AUTH_MODE: 'none',
      LOCAL_KEYSTORE_DIR: dir,
      JWT_AUDIENCES: 'api://orders',
      JWT_ISSUER: 'https://jwt.test/api',
      AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
      DPOP_REPLAY_TABLE_NAME: uniqueTableName(),
      WEBSITE_HOSTNAME: undefined,
      PORT: undefined,
    });
    [certificate, otherCertificate, client] = await Promise.all([selfSignedCertificate(), selfSignedCertificate('other.example'), dpopClient()]);
  });
  afterAll(async () => {
    await restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds a token to the client certificate given at sign; verify wants that certificate', async () => {
    const token = await tokenFrom({ client_certificate: certificate.der });
    expect(payloadOf(token).cnf).toEqual({ 'x5t#S256': certificate.x5t });
    expect(await verify({ token, client_certificate: certificate.der })).toMatchObject({ active: true, sub: 'alice', cnf: { 'x5t#S256': certificate.x5t } });
    expect(await verify({ token, client_certificate: certificate.pem })).toMatchObject({ active: true });
    expect(await verify({ token })).toEqual({ active: false, error: 'binding_required' });
    expect(await verify({ token, client_certificate: otherCertificate.der })).toEqual({ active: false, error: 'binding_mismatch' });
    expect(await verify({ token, client_certificate: 'A'.repeat(20_000) })).toEqual({ active: false, error: 'binding_mismatch' });
  });

  it('binds a token to the key of a DPoP proof made for the sign request; verify wants a fresh proof by that key', async () => {
    const token = await tokenFrom({ dpop: await client.proof('POST', SIGN_URI) });
    expect(payloadOf(token).cnf).toEqual({ jkt: client.jkt });
    const proof = await client.proof('GET', API, token);
    expect(await verify({ token, dpop: proof, htm: 'GET', htu: API })).toMatchObject({ active: true, cnf: { jkt: client.jkt } });
    expect(await verify({ token, dpop: proof, htm: 'GET', htu: API })).toEqual({ active: false, error: 'dpop_replayed' });
    expect(await verify({ token })).toEqual({ active: false, error: 'binding_required' });
    // The RFC 7662 form encoding carries the same fields.
    const form = new URLSearchParams({ token, dpop: await client.proof('GET', API, token), htm: 'GET', htu: API }).toString();
    expect(answer(await verifyHandler(post('verify', form, 'application/x-www-form-urlencoded'), context()))).toMatchObject({ active: true });
  });

  it('binds an encrypted token too: cnf is in the signed token inside, and a proof\'s ath hashes the JWE the client presents', async () => {
    const jwe = await tokenFrom({ dpop: await client.proof('POST', SIGN_URI), encrypt: true });
    expect(jwe.split('.')).toHaveLength(5);
    const opened = await (await getServices()).encryption.open(jwe);
    const inner = String(opened.active === false ? '' : opened.token);
    expect(payloadOf(inner).cnf).toEqual({ jkt: client.jkt });
    expect(await verify({ token: jwe, dpop: await client.proof('GET', API, jwe), htm: 'GET', htu: API })).toMatchObject({ active: true, sub: 'alice', cnf: { jkt: client.jkt } });
    // A proof over the signed token inside is not over what the client presented.
    expect(await verify({ token: jwe, dpop: await client.proof('GET', API, inner), htm: 'GET', htu: API })).toEqual({ active: false, error: 'dpop_invalid' });
    expect(await verify({ token: jwe })).toEqual({ active: false, error: 'binding_required' });
    // The signed token inside, presented on its own, is bound the same way (its own ath).
    expect(await verify({ token: inner, dpop: await client.proof('GET', API, inner), htm: 'GET', htu: API })).toMatchObject({ active: true });
    // Certificate binding is indifferent to the encryption.
    const sealedToCertificate = await tokenFrom({ client_certificate: certificate.der, encrypt: true });
    expect(await verify({ token: sealedToCertificate, client_certificate: certificate.der })).toMatchObject({ active: true, cnf: { 'x5t#S256': certificate.x5t } });
    expect(await verify({ token: sealedToCertificate, client_certificate: otherCertificate.der })).toEqual({ active: false, error: 'binding_mismatch' });
  });

  it('binds a token to the cnf the caller names, in one of the two shapes', async () => {
    const token = await tokenFrom({ claims: { sub: 'alice', aud: 'api://orders', cnf: { jkt: client.jkt } } });
    expect(payloadOf(token).cnf).toEqual({ jkt: client.jkt });
    const refused = await sign({ claims: { aud: 'api://orders', cnf: { jwk: { kty: 'EC' } } } });
    expect([refused.status, answer(refused).code]).toEqual([400, 'invalid_claims']);
  });

  it('answers malformed binding input with a 400 naming the field, never a 5xx', async () => {
    const refusedSign = async (body: Record<string, unknown>): Promise<[number | undefined, unknown, unknown]> => {
      const response = await sign({ claims: { aud: 'api://orders' }, ...body });
      return [response.status, answer(response).code, answer(response).detail];
    };
    expect(await refusedSign({ client_certificate: 'garbage' })).toEqual([400, 'invalid_request', '"client_certificate" must be one X.509 certificate, base64 DER or PEM.']);
    expect(await refusedSign({ dpop: await client.proof('POST', 'https://elsewhere.example/api/sign') })).toEqual([400, 'invalid_dpop_proof', '"dpop" was not made for this URL (htu).']);
    expect(await refusedSign({ dpop: { not: 'a string' } })).toEqual([400, 'invalid_request', '"dpop" must be a DPoP proof JWT (RFC 9449).']);
    const token = await tokenFrom({});
    const refusedVerify = async (body: Record<string, unknown>): Promise<[number | undefined, unknown, unknown]> => {
      const response = await verifyHandler(post('verify', JSON.stringify({ token, ...body })), context());
      return [response.status, answer(response).code, answer(response).detail];
    };
    expect(await refusedVerify({ dpop: 'a.b.c' })).toEqual([400, 'invalid_request', '"htm" and "htu" are required with "dpop": the method and the URL of the request the client made.']);
    expect(await refusedVerify({ dpop: 'a.b.c', htm: 'GET /x', htu: API })).toEqual([400, 'invalid_request', '"htm" must be an HTTP method, such as GET.']);
    expect(await refusedVerify({ dpop: 'a.b.c', htm: 'GET', htu: '/orders/42' })).toEqual([400, 'invalid_request', '"htu" must be the absolute http(s) URL the client called.']);
    expect(await refusedVerify({ client_certificate: 42 })).toEqual([400, 'invalid_request', '"client_certificate" must be a string.']);
    const junk: unknown[] = [null, 0, true, [], {}, '', 'x'.repeat(30_000), '\u0000', '-----BEGIN CERTIFICATE-----'];
    for (const value of junk) {
      for (const field of ['client_certificate', 'dpop']) {
        const signStatus = (await sign({ claims: { aud: 'api://orders' }, [field]: value })).status ?? 0;
        const verifyStatus = (await verifyHandler(post('verify', JSON.stringify({ token, [field]: value, htm: 'GET', htu: API })), context())).status ?? 0;
        expect([field, signStatus < 500, verifyStatus < 500]).toEqual([field, true, true]);
      }
    }
  });

  it('counts a refused bound token by its code in the verify answers metric, never as active', async () => {
    const answers = async (): Promise<Record<string, number>> => {
      const health = await healthHandler(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1:7071/api/health', headers: { host: '127.0.0.1:7071' } }), context());
      const series = (health.jsonBody as { metrics: MetricsSnapshot }).metrics.series.filter((entry) => entry.name === 'kvjwt.verify.answers');
      return Object.fromEntries(series.map((entry) => [String(entry.attributes['kvjwt.outcome']), entry.count]));
    };
    const token = await tokenFrom({ client_certificate: certificate.der });
    const before = await answers();
    await verify({ token });
    await verify({ token, client_certificate: otherCertificate.der });
    await verify({ token, client_certificate: certificate.der });
    const after = await answers();
    const delta = (outcome: string): number => (after[outcome] ?? 0) - (before[outcome] ?? 0);
    expect([delta('binding_required'), delta('binding_mismatch'), delta('active')]).toEqual([1, 1, 1]);
  });

  it('leaves bearer tokens alone, whatever binding fields come along', async () => {
    const token = await tokenFrom({});
    expect(payloadOf(token)).not.toHaveProperty('cnf');
    expect(await verify({ token, client_certificate: 'not a certificate', dpop: 'not.a.proof', htm: 'GET', htu: API })).toMatchObject({ active: true, sub: 'alice' });
  });
});
