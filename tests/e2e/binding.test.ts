import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dpopClient, issuedCertificate, selfSignedCertificate, testCa, type ClientCertificate, type DpopClient } from '../support/binding-client';
import { EntraIssuer } from '../support/entra-issuer';
import { startHost, type RunningHost } from '../support/host';
import { uniqueTableName } from '../support/replay-table';

/**
 * Issue 18 over real HTTP: two embedded hosts (two instances of one app behind one public name)
 * share the key folder, Azurite and the DPoP replay table; callers authenticate with tokens of a
 * local Entra stand-in. Certificates come from `selfsigned`, DPoP proofs from the `dpop` package.
 */
const APP_AUDIENCE = 'api://kv-jwt-binding-e2e';
const PUBLIC_HOST = 'kv-jwt-e2e.example';
const SIGN_URI = `https://${PUBLIC_HOST}/api/sign`; // what a sign proof is made for: the app's public URL
const API = 'https://orders.example/api/orders/42'; // the API the client calls, behind API Management
const SIGNER = randomUUID(); // the Logic App: binding optional
const BOUND_ONLY = randomUUID(); // a caller whose tokens must be bound
const GATEWAY = randomUUID(); // API Management's identity: verify only
let issuer: EntraIssuer;
let dir: string;
let hosts: RunningHost[] = [];
let certificate: ClientCertificate;
let otherCertificate: ClientCertificate;
let client: DpopClient;
let thief: DpopClient;

type Answer = { status: number; body: Record<string, unknown> };

async function call(host: RunningHost, path: string, oid: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${host.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${issuer.token({ oid, audience: APP_AUDIENCE })}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function sign(host: RunningHost, body: Record<string, unknown>, oid = SIGNER): Promise<string> {
  const answer = await call(host, '/api/sign', oid, { claims: { sub: 'alice', aud: 'api://orders' }, ...body });
  expect([answer.status, answer.body.code]).toEqual([200, undefined]);
  return answer.body.token as string;
}

async function verify(host: RunningHost, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await call(host, '/api/verify', GATEWAY, body);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** What API Management forwards for a DPoP request: the DPoP header, the method and the URL. */
async function withProof(token: string, by: DpopClient = client, htu = API): Promise<Record<string, unknown>> {
  return { token, dpop: await by.proof('GET', htu, token), htm: 'GET', htu: API };
}

beforeAll(async () => {
  issuer = await new EntraIssuer().start();
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-binding-'));
  const env = {
    AUTH_MODE: 'entra',
    AUTH_TENANT_ID: issuer.tenantId,
    AUTH_AUDIENCE: APP_AUDIENCE,
    AUTH_AUTHORITY_HOST: issuer.baseUrl,
    AUTH_AUTHORITY_HOST_ALLOW_HTTP: 'true',
    CALLER_POLICY: JSON.stringify({
      [SIGNER]: { operations: ['sign'], audiences: ['api://orders'] },
      [BOUND_ONLY]: { operations: ['sign'], audiences: ['api://orders'], binding: 'required' },
      [GATEWAY]: { operations: ['verify'], verifyAudiences: ['api://orders'] },
    }),
    JWT_AUDIENCES: 'api://orders',
    JWT_ISSUER: 'https://jwt.test/api',
    WEBSITE_HOSTNAME: PUBLIC_HOST,
    REVOCATION_TABLE_NAME: uniqueTableName('rev'),
    DPOP_REPLAY_TABLE_NAME: uniqueTableName(),
    LOCAL_KEYSTORE_DIR: dir,
  };
  hosts = [await startHost({ env }), await startHost({ env })];
  [certificate, otherCertificate, client, thief] = await Promise.all([issuedCertificate(await testCa()), selfSignedCertificate(), dpopClient('ES256'), dpopClient('PS256')]);
}, 90_000);

afterAll(async () => {
  for (const host of hosts) await host.stop();
  await issuer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bound tokens over HTTP, two instances', () => {
  it('advertises DPoP and certificate-bound tokens in discovery', async () => {
    const discovery = (await (await fetch(`${hosts[1].baseUrl}/api/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ tls_client_certificate_bound_access_tokens: true, dpop_signing_alg_values_supported: expect.arrayContaining(['ES256', 'PS256', 'RS256']) as unknown });
  });

  it('certificate-bound: active with the certificate on either instance, refused without it or with another', async () => {
    const token = await sign(hosts[0], { client_certificate: certificate.pem });
    for (const host of hosts) expect(await verify(host, { token, client_certificate: certificate.der })).toMatchObject({ active: true, sub: 'alice', cnf: { 'x5t#S256': certificate.x5t } });
    expect(await verify(hosts[1], { token })).toEqual({ active: false, error: 'binding_required' });
    expect(await verify(hosts[1], { token, client_certificate: otherCertificate.der })).toEqual({ active: false, error: 'binding_mismatch' });
  });

  it('DPoP-bound by jkt: a proof is good once, on whichever instance sees it first', async () => {
    const token = await sign(hosts[0], { claims: { sub: 'alice', aud: 'api://orders', cnf: { jkt: client.jkt } } });
    const first = await withProof(token);
    expect(await verify(hosts[0], first)).toMatchObject({ active: true, cnf: { jkt: client.jkt } });
    expect(await verify(hosts[0], first)).toEqual({ active: false, error: 'dpop_replayed' }); // same instance
    expect(await verify(hosts[1], first)).toEqual({ active: false, error: 'dpop_replayed' }); // the other instance
    const second = await withProof(token);
    expect(await verify(hosts[1], second)).toMatchObject({ active: true });
    expect(await verify(hosts[0], second)).toEqual({ active: false, error: 'dpop_replayed' });
  });

  it('DPoP-bound from a proof sent to sign; a stolen token is useless without the key', async () => {
    const signProof = await client.proof('POST', SIGN_URI);
    const token = await sign(hosts[1], { dpop: signProof });
    expect(await verify(hosts[0], await withProof(token))).toMatchObject({ active: true, cnf: { jkt: client.jkt } });
    // The sign proof itself is spent, on the other instance too.
    const replayedSign = await call(hosts[0], '/api/sign', SIGNER, { claims: { aud: 'api://orders' }, dpop: signProof });
    expect([replayedSign.status, replayedSign.body.code]).toEqual([400, 'invalid_dpop_proof']);
    // A thief with the token: no proof, a proof by its own key, a proof made for another URL.
    expect(await verify(hosts[0], { token })).toEqual({ active: false, error: 'binding_required' });
    expect(await verify(hosts[0], await withProof(token, thief))).toEqual({ active: false, error: 'binding_mismatch' });
    expect(await verify(hosts[0], await withProof(token, client, 'https://orders.example/api/orders/43'))).toEqual({ active: false, error: 'dpop_invalid' });
    expect(await verify(hosts[0], { token, client_certificate: certificate.der })).toEqual({ active: false, error: 'binding_required' });
  });

  it('DPoP-bound and encrypted: the proof\'s ath is over the JWE the client presents, on either instance', async () => {
    const token = await sign(hosts[1], { dpop: await client.proof('POST', SIGN_URI), encrypt: true });
    expect(token.split('.')).toHaveLength(5);
    for (const host of hosts) expect(await verify(host, await withProof(token))).toMatchObject({ active: true, sub: 'alice', cnf: { jkt: client.jkt } });
    expect(await verify(hosts[0], { token })).toEqual({ active: false, error: 'binding_required' });
    expect(await verify(hosts[0], await withProof(token, thief))).toEqual({ active: false, error: 'binding_mismatch' });
    // A proof whose ath hashes anything but the presented JWE (here: the JWE without its tag) is refused.
    const otherAth = { token, dpop: await client.proof('GET', API, token.slice(0, token.lastIndexOf('.'))), htm: 'GET', htu: API };
    expect(await verify(hosts[1], otherAth)).toEqual({ active: false, error: 'dpop_invalid' });
  });

  it('a caller with binding "required" can not be talked into a bearer token', async () => {
    const refused = await call(hosts[0], '/api/sign', BOUND_ONLY, { claims: { aud: 'api://orders' } });
    expect([refused.status, refused.body.code]).toEqual([403, 'binding_required']);
    const token = await sign(hosts[0], { client_certificate: certificate.der }, BOUND_ONLY);
    expect(await verify(hosts[1], { token, client_certificate: certificate.der })).toMatchObject({ active: true });
  });

  it('leaves bearer tokens as they were', async () => {
    const token = await sign(hosts[0], {});
    expect(await verify(hosts[1], { token })).toMatchObject({ active: true, sub: 'alice' });
    expect(await verify(hosts[1], { token, client_certificate: otherCertificate.der, ...(await withProof(token, thief)) })).toMatchObject({ active: true });
  });
});
