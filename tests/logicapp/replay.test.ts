import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { replay, type ReplayRun } from './replay';
import { startDeployedSystem, type DeployedSystem } from './deployed-system';
import { loadWorkflow } from './workflow-model';

/**
 * Every branch of both workflows, replayed against the embedded host configured as Bicep configures the app
 * (AUTH_MODE=entra, the Bicep CALLER_POLICY, each workflow with its own managed identity), with real HTTP, real
 * tokens and a local downstream API. Failure branches the host does not produce on demand (503, 429, a hang)
 * come from a scripted stand-in for the function app.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => void;
let system: DeployedSystem;
let downstream: Server;
let downstreamUrl: string;
let downstreamAnswer: { status: number; body: unknown } = { status: 200, body: { accepted: true } };
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let stand: Server;
let standUrl: string;
let standHandler: Handler = (_q, s) => s.end();
let standCalls = 0;

async function listen(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  system = await startDeployedSystem();
  ({ server: downstream, url: downstreamUrl } = await listen((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(downstreamAnswer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(downstreamAnswer.body));
    });
  }));
  downstreamUrl += '/orders';
  ({ server: stand, url: standUrl } = await listen((request, response) => {
    standCalls += 1;
    request.resume();
    request.on('end', () => standHandler(request, response));
  }));
}, 60_000);

afterAll(async () => {
  await system?.stop();
  for (const server of [downstream, stand]) await new Promise<void>((resolve) => server?.close(() => resolve()));
});

beforeEach(() => {
  standCalls = 0;
  downstreamAnswer = { status: 200, body: { accepted: true } };
});

// Real time against the host (a first call on a busy machine may take a while); a hundredth of it against the
// scripted stand-in (timeouts at least 1 s), whose hang outlasts that and whose 5-10 s retry waits need not be waited.
const timeScale = (parameters: Record<string, unknown>): number => (parameters.functionBaseUrl === standUrl ? 0.01 : 1);

function callApi(trigger: unknown, parameters: Record<string, unknown> = {}): Promise<ReplayRun> {
  return replay({
    definition: loadWorkflow('call-api-with-token'),
    parameters: { ...system.workflowParameters('callApi'), downstreamApiUrl: downstreamUrl, ...parameters },
    trigger: { body: trigger },
    managedIdentityToken: system.managedIdentity(system.oids.callApi),
    timeScale: timeScale(parameters),
  });
}

function verifyInbound(trigger: unknown, parameters: Record<string, unknown> = {}, identity = system.oids.verifyInbound): Promise<ReplayRun> {
  return replay({
    definition: loadWorkflow('verify-inbound'),
    parameters: { ...system.workflowParameters('verifyInbound'), ...parameters },
    trigger: { body: trigger },
    managedIdentityToken: system.managedIdentity(identity),
    timeScale: timeScale(parameters),
  });
}

/** A token for the inbound audience, signed by the deploying user (as the smoke test does). */
async function inboundToken(sub = 'partner-42'): Promise<string> {
  const response = await fetch(`${system.host.baseUrl}/api/sign`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${system.accessToken(system.oids.deployer)}` }, body: JSON.stringify({ claims: { sub, aud: system.audiences.inbound }, ttlSeconds: 120 }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

function lastDownstreamToken(): string {
  return String(received[received.length - 1].headers.authorization).replace(/^Bearer /, '');
}

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

describe('call-api-with-token', () => {
  it('signs a token for the downstream audience as itself and calls the downstream API with it', async () => {
    const run = await callApi({ payload: { order: 7 } });
    expect(run.response).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { status: 'forwarded', downstreamStatus: 200, result: { accepted: true } } });
    expect(run.ran).toEqual(['Sign_downstream_token', 'Call_downstream_API', 'Respond_forwarded']);
    expect(run.responses).toBe(1);
    expect(JSON.parse(received[received.length - 1].body)).toEqual({ order: 7 });
    // Checked independently of the service: jose against the published JWKS.
    const { payload } = await jwtVerify(lastDownstreamToken(), createRemoteJWKSet(new URL(`${system.host.baseUrl}/api/.well-known/jwks.json`)), { issuer: system.issuer, audience: system.audiences.downstream });
    expect(payload.sub).toBe(system.workflowParameters('callApi').tokenSubject);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(300);
  });

  it('puts nothing from the request into the token: a laundering attempt through the trigger changes nothing', async () => {
    const stolen = await inboundToken('victim');
    const run = await callApi({ token: stolen, audience: system.audiences.inbound, claims: { aud: system.audiences.inbound, sub: 'admin' }, payload: {} });
    expect(run.response?.statusCode).toBe(200);
    const { payload } = await jwtVerify(lastDownstreamToken(), createRemoteJWKSet(new URL(`${system.host.baseUrl}/api/.well-known/jwks.json`)), { audience: system.audiences.downstream });
    expect([payload.aud, payload.sub]).toEqual([system.audiences.downstream, system.workflowParameters('callApi').tokenSubject]);
    expect(JSON.stringify(run.response)).not.toMatch(JWT);
  });

  it('is refused by the function for any other audience: 500 sign_refused, one attempt, not a retryable 503', async () => {
    const run = await callApi({ payload: {} }, { downstreamAudience: system.audiences.inbound });
    expect(run.response).toMatchObject({ statusCode: 500, body: { status: 'sign_refused', functionStatus: 403, code: 'audience_not_allowed' } });
    expect(run.response?.headers).not.toHaveProperty('Retry-After');
    expect(run.http.map((h) => h.outcome)).toEqual([403]);
    expect(run.statuses.Call_downstream_API).toBe('Skipped');
  });

  it('answers 502 when the downstream API fails, and does not retry it', async () => {
    downstreamAnswer = { status: 500, body: { error: 'boom' } };
    const before = received.length;
    const run = await callApi({ payload: {} });
    expect(run.response).toMatchObject({ statusCode: 502, body: { status: 'downstream_failed', downstreamStatus: 500 } });
    expect(received.length - before).toBe(1);
  });

  it.each([
    ['503', 503, 2],
    ['429', 429, 2],
    ['a hang', 'hang', 2],
  ] as const)('retries the sign call once on %s, then answers 503 with Retry-After', async (_label, behaviour, attempts) => {
    standHandler = (_q, s) => (behaviour === 'hang' ? setTimeout(() => s.destroy(), 5000) : s.writeHead(behaviour, { 'Content-Type': 'application/problem+json' }).end('{"code":"key_store_unavailable"}'));
    const before = received.length;
    const run = await callApi({ payload: {} }, { functionBaseUrl: standUrl });
    expect(run.response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '30' }, body: { status: 'sign_unavailable' } });
    expect(standCalls).toBe(attempts);
    expect(received.length).toBe(before);
  });

  it('fails closed when its identity is not the one CALLER_POLICY names for signing', async () => {
    const run = await replay({ definition: loadWorkflow('call-api-with-token'), parameters: { ...system.workflowParameters('callApi'), downstreamApiUrl: downstreamUrl }, trigger: { body: {} }, managedIdentityToken: system.managedIdentity(system.oids.verifyInbound) });
    expect(run.response).toMatchObject({ statusCode: 500, body: { status: 'sign_refused', functionStatus: 403, code: 'forbidden' } });
  });
});

describe('verify-inbound', () => {
  it('verifies a token for its own audience and only then does its work', async () => {
    const run = await verifyInbound({ token: await inboundToken('partner-42'), payload: { order: 9 } });
    expect(run.response).toEqual({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { status: 'accepted', sub: 'partner-42', result: { subject: 'partner-42', payload: { order: 9 } } } });
    expect(run.ran).toEqual(['Token_present', 'Verify_inbound_token', 'Token_active_for_this_audience', 'Do_work', 'Respond_accepted']);
    expect(run.statuses.Verify_failure_is_transient).toBe('Skipped');
    expect(run.http).toEqual([expect.objectContaining({ uri: `${system.host.baseUrl}/api/verify`, body: { token: expect.stringMatching(JWT), audience: system.audiences.inbound }, outcome: 200 })]);
  });

  it('answers 401 for a tampered token and does no work', async () => {
    const token = await inboundToken();
    const run = await verifyInbound({ token: `${token.slice(0, -4)}AAAA`, payload: {} });
    expect(run.response).toMatchObject({ statusCode: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, body: { status: 'unauthorized', reason: 'bad_signature' } });
    expect(run.statuses.Do_work).toBeUndefined();
  });

  it('answers 401 without calling the function when no token came', async () => {
    for (const body of [{ payload: {} }, { token: '' }, undefined]) {
      const run = await verifyInbound(body);
      expect(run.response).toMatchObject({ statusCode: 401, body: { status: 'unauthorized', reason: 'missing_token' } });
      expect(run.http).toEqual([]);
    }
  });

  it('refuses a token minted for the downstream API (laundering attempt): 401 wrong_audience, nothing signed', async () => {
    await callApi({ payload: {} });
    const downstreamToken = lastDownstreamToken();
    const run = await verifyInbound({ token: downstreamToken, payload: { please: 'sign me something' } });
    expect(run.response).toMatchObject({ statusCode: 401, body: { status: 'unauthorized', reason: 'wrong_audience' } });
    expect(run.http.map((h) => new URL(h.uri).pathname)).toEqual(['/api/verify']);
    expect(run.statuses.Do_work).toBeUndefined();
  });

  it('can not sign at all with its identity, and call-api-with-token can not verify', async () => {
    const as = (oid: string, path: string, body: unknown): Promise<Response> => fetch(`${system.host.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${system.accessToken(oid)}` }, body: JSON.stringify(body) });
    for (const aud of [system.audiences.downstream, system.audiences.inbound]) expect((await as(system.oids.verifyInbound, '/api/sign', { claims: { aud } })).status).toBe(403);
    expect((await as(system.oids.callApi, '/api/verify', { token: await inboundToken() })).status).toBe(403);
    expect((await as(system.oids.deployer, '/api/sign', { claims: { aud: system.audiences.downstream } })).status).toBe(403);
  });

  it('answers 500 verify_refused (not a retryable 503) when the function refuses the workflow', async () => {
    const stranger = '99999999-9999-4999-8999-999999999999';
    const run = await verifyInbound({ token: await inboundToken() }, {}, stranger);
    expect(run.response).toMatchObject({ statusCode: 500, body: { status: 'verify_refused', functionStatus: 403, code: 'forbidden' } });
    expect(run.response?.headers).not.toHaveProperty('Retry-After');
    expect(run.http).toHaveLength(1);
  });

  it.each([
    ['503', 503],
    ['a hang', 'hang'],
  ] as const)('retries the verify call once on %s, then answers 503 with Retry-After', async (_label, behaviour) => {
    standHandler = (_q, s) => (behaviour === 'hang' ? setTimeout(() => s.destroy(), 5000) : s.writeHead(behaviour).end());
    const run = await verifyInbound({ token: await inboundToken() }, { functionBaseUrl: standUrl });
    expect(run.response).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '30' }, body: { status: 'verify_unavailable' } });
    expect(standCalls).toBe(2);
    expect(run.statuses.Do_work).toBeUndefined();
  });

  it('answers 500 for a 400 from the function, once', async () => {
    standHandler = (_q, s) => s.writeHead(400, { 'Content-Type': 'application/problem+json' }).end('{"code":"invalid_request"}');
    const run = await verifyInbound({ token: 'x' }, { functionBaseUrl: standUrl });
    expect(run.response).toMatchObject({ statusCode: 500, body: { status: 'verify_refused', functionStatus: 400, code: 'invalid_request' } });
    expect(standCalls).toBe(1);
  });
});
