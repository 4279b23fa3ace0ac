import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type RunningHost } from '../support/host';
import { evaluate, type ExpressionContext } from './expressions';
import { loadWorkflow, type RawAction } from './workflow-model';

/**
 * Replays the token-broker workflow against the running embedded host: actions in runAfter order,
 * expressions evaluated, HTTP calls made for real (the downstream API is a local stub). The host
 * runs with AUTH_MODE=none, so the managed identity itself is checked statically (workflow.test.ts).
 */
type Status = 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut';
interface RunState {
  context: ExpressionContext;
  statuses: Record<string, Status>;
  response?: { statusCode: number; body: unknown };
  calls: string[];
}

async function runScope(actions: Record<string, RawAction>, state: RunState): Promise<void> {
  const pending = new Set(Object.keys(actions));
  while (pending.size > 0) {
    const ready = [...pending].filter((name) => Object.keys(actions[name].runAfter ?? {}).every((before) => state.statuses[before] !== undefined));
    if (ready.length === 0) throw new Error(`no runnable action among ${[...pending].join(', ')}`);
    for (const name of ready) {
      pending.delete(name);
      const action = actions[name];
      const allowed = Object.entries(action.runAfter ?? {}).every(([before, statuses]) => statuses.includes(state.statuses[before]));
      state.statuses[name] = allowed ? await runAction(name, action, state) : 'Skipped';
    }
  }
}

async function runAction(name: string, action: RawAction, state: RunState): Promise<Status> {
  state.calls.push(name);
  if (action.type === 'Http') {
    const inputs = evaluate(action.inputs, state.context) as { method: string; uri: string; headers?: Record<string, string>; body?: unknown };
    const response = await fetch(inputs.uri, { method: inputs.method, headers: inputs.headers, body: inputs.body === undefined ? undefined : JSON.stringify(inputs.body) });
    const text = await response.text();
    const body: unknown = text ? (JSON.parse(text) as unknown) : undefined;
    state.context.results[name] = { statusCode: response.status, body };
    return response.status < 400 ? 'Succeeded' : 'Failed';
  }
  if (action.type === 'If') {
    const expression = evaluate(action.expression, state.context) as { and: Array<{ equals: [unknown, unknown] }> };
    const holds = expression.and.every((c) => JSON.stringify(c.equals[0]) === JSON.stringify(c.equals[1]));
    await runScope((holds ? action.actions : action.else?.actions) ?? {}, state);
    return 'Succeeded';
  }
  if (action.type === 'Response') {
    const inputs = evaluate(action.inputs, state.context) as { statusCode: number; body: unknown };
    state.response ??= { statusCode: inputs.statusCode, body: inputs.body };
    return 'Succeeded';
  }
  throw new Error(`the replay does not implement ${action.type}`);
}

let dir: string;
let host: RunningHost;
let downstream: Server;
let downstreamUrl: string;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvjwt-replay-'));
  host = await startHost({ env: { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://broker,api://orders', JWT_ISSUER: 'https://jwt.test/api' } });
  downstream = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ accepted: true }));
    });
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', () => resolve()));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/orders`;
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await new Promise<void>((resolve) => downstream.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function replay(triggerBody: unknown): Promise<RunState> {
  const definition = loadWorkflow();
  const parameters = Object.fromEntries(Object.entries(definition.parameters).map(([k, p]) => [k, p.defaultValue]));
  Object.assign(parameters, { functionBaseUrl: host.baseUrl, downstreamApiUrl: downstreamUrl, downstreamAudience: 'api://orders' });
  const state: RunState = { context: { parameters, triggerBody, results: {} }, statuses: {}, calls: [] };
  await runScope(definition.actions, state);
  return state;
}

async function callerToken(ttlSeconds = 120): Promise<string> {
  const response = await fetch(`${host.baseUrl}/api/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: { sub: 'partner-42', aud: 'api://broker' }, ttlSeconds }) });
  return ((await response.json()) as { token: string }).token;
}

describe('token-broker replay against the embedded host', () => {
  it('verifies the caller, signs a downstream token and forwards the payload with it', async () => {
    const state = await replay({ token: await callerToken(), payload: { order: 7 } });
    expect(state.response).toEqual({ statusCode: 200, body: { status: 'forwarded', downstreamStatus: 200, result: { accepted: true } } });
    expect(state.calls).toEqual(['Verify_caller_token', 'Is_caller_token_active', 'Sign_downstream_token', 'Call_downstream_API', 'Respond_forwarded']);
    const forwarded = received[received.length - 1];
    expect(JSON.parse(forwarded.body)).toEqual({ order: 7 });
    const token = String(forwarded.headers.authorization).replace(/^Bearer /, '');
    const check = await fetch(`${host.baseUrl}/api/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, audience: 'api://orders' }) });
    expect(await check.json()).toMatchObject({ active: true, sub: 'partner-42', aud: 'api://orders' });
  });

  it('answers 401 with the reason for an inactive caller token, and calls nothing downstream', async () => {
    const before = received.length;
    const token = await callerToken();
    const tampered = `${token.slice(0, token.lastIndexOf('.') + 1)}AAAA`;
    const state = await replay({ token: tampered, payload: {} });
    expect(state.response).toEqual({ statusCode: 401, body: { status: 'inactive_token', reason: 'bad_signature' } });
    expect(state.statuses.Sign_downstream_token).toBeUndefined();
    expect(received.length).toBe(before);
  });

  it('answers 503 when the function refuses the call', async () => {
    const state = await replay({ payload: {} });
    expect(state.response?.statusCode).toBe(503);
    expect(state.response?.body).toMatchObject({ status: 'verify_failed', functionStatus: 400 });
  });
});
