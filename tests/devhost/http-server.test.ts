import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { HostLog } from '../../devhost/host-log';
import { MAX_DISCARD_BYTES, MAX_REQUEST_BYTES, createHostServer } from '../../devhost/http-server';
import type { Registration } from '../../devhost/registry';
import { Router } from '../../devhost/routes';
import { postPaced, stallMidRequest } from './clients';

/** The host's HTTP side in process, over real sockets, with small registrations standing in for functions. */
const SECRET = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJl';

function http(name: string, route: string, methods: string[], handler: (request: HttpRequest, context: InvocationContext) => unknown): Registration {
  return { name, trigger: 'http', route, methods, authLevel: 'anonymous', handler: handler as Registration['handler'] };
}

const registrations: Registration[] = [
  http('echo', 'echo/{id}/{part?}', ['POST', 'PUT'], async (request, context) => ({
    jsonBody: {
      library: request instanceof HttpRequest && context instanceof InvocationContext,
      method: request.method,
      url: request.url,
      params: request.params,
      query: Object.fromEntries(request.query),
      header: request.headers.get('x-test'),
      body: await request.text(),
      functionName: context.functionName,
      invocationId: context.invocationId,
    },
  })),
  http('size', 'size', ['POST'], async (request) => ({ jsonBody: { bytes: (await request.arrayBuffer()).byteLength } })),
  http('init', 'init', ['GET'], () => ({ status: 201, headers: { 'X-A': '1' }, body: 'plain' })),
  http('instance', 'instance', ['GET'], () => new HttpResponse({ status: 202, jsonBody: { ok: true }, headers: { 'x-b': '2' } })),
  http('problem', 'problem', ['GET'], () => ({ status: 400, jsonBody: { code: 'x' }, headers: { 'Content-Type': 'application/problem+json' } })),
  http('bytes', 'bytes', ['GET'], () => ({ body: new Uint8Array([0, 1, 255]), headers: { 'content-type': 'application/octet-stream' } })),
  http('noContent', 'no-content', ['GET'], () => ({ status: 204, jsonBody: { ignored: true } })),
  http('nothing', 'nothing', ['GET'], () => undefined),
  http('thenable', 'thenable', ['GET'], () => ({ then: (resolve: (value: unknown) => void) => resolve({ status: 203, body: 'from a thenable' }) })),
  http('notObject', 'not-object', ['GET'], () => 'a string'),
  http('logs', 'logs', ['POST'], (_request, context) => {
    context.log('handler line', { n: 1 });
    return { status: 200 };
  }),
  http('throws', 'throws', ['POST'], () => {
    throw new TypeError(`failed for ${SECRET}`);
  }),
  http('key', 'keys/{kid}', ['GET'], () => ({ status: 200 })),
];

let server: Server;
let baseUrl: string;
let port: number;
const lines: string[] = [];
const entries = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

async function listen(router: Promise<Router>): Promise<Server> {
  const created = createHostServer(router, new HostLog((_level, line) => lines.push(line)), 1500);
  await new Promise<void>((resolveListen) => created.listen(0, '127.0.0.1', () => resolveListen()));
  return created;
}

async function close(target: Server): Promise<void> {
  target.closeAllConnections();
  await new Promise<void>((resolveClose) => target.close(() => resolveClose()));
}

beforeAll(async () => {
  server = await listen(Promise.resolve(new Router('api', registrations)));
  port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(() => close(server));

describe('embedded host HTTP server', () => {
  it('holds requests that arrive while the app loads and serves them once it is ready', async () => {
    let releaseRouter: () => void = () => undefined;
    const loading = await listen(new Promise<Router>((resolveRouter) => (releaseRouter = () => resolveRouter(new Router('api', registrations)))));
    const early = fetch(`http://127.0.0.1:${(loading.address() as AddressInfo).port}/api/init`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 50));
    releaseRouter();
    expect((await early).status).toBe(201);
    await close(loading);
  });

  it('hands the function the library’s own HttpRequest and InvocationContext, with the URL, route values, query, headers and body', async () => {
    const response = await fetch(`${baseUrl}/API/Echo/abc%20d?x=1&y=two&y=three`, { method: 'PUT', headers: { 'x-test': 'yes' }, body: 'hello ✓' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      library: true,
      method: 'PUT',
      url: `${baseUrl}/API/Echo/abc%20d?x=1&y=two&y=three`,
      params: { id: 'abc d' },
      query: { x: '1', y: 'three' },
      header: 'yes',
      body: 'hello ✓',
      functionName: 'echo',
    });
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    const second = (await (await fetch(`${baseUrl}/api/echo/a/b`, { method: 'POST' })).json()) as Record<string, unknown>;
    expect(second).toMatchObject({ params: { id: 'a', part: 'b' }, body: '' });
    expect(second.invocationId).not.toBe(body.invocationId);
  });

  it('reads a chunked body without a declared length', async () => {
    const answer = await postPaced(port, '/api/size', 300 * 1024, { chunked: true });
    expect(answer).toEqual({ status: 200, body: JSON.stringify({ bytes: 300 * 1024 }) });
  });

  it('converts HttpResponseInit and HttpResponse results like the worker', async () => {
    const init = await fetch(`${baseUrl}/api/init`);
    expect([init.status, init.headers.get('x-a'), init.headers.get('content-type'), await init.text()]).toEqual([201, '1', 'text/plain;charset=UTF-8', 'plain']);
    const instance = await fetch(`${baseUrl}/api/instance`);
    expect([instance.status, instance.headers.get('x-b'), instance.headers.get('content-type'), await instance.json()]).toEqual([202, '2', 'application/json', { ok: true }]);
    const problem = await fetch(`${baseUrl}/api/problem`);
    expect(problem.headers.get('content-type')).toBe('application/problem+json');
    const bytes = await fetch(`${baseUrl}/api/bytes`);
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 255]);
    const noContent = await fetch(`${baseUrl}/api/no-content`);
    expect([noContent.status, await noContent.text()]).toEqual([204, '']);
    expect((await fetch(`${baseUrl}/api/nothing`)).status).toBe(204);
    const thenable = await fetch(`${baseUrl}/api/thenable`);
    expect([thenable.status, await thenable.text()]).toEqual([203, 'from a thenable']);
  });

  it('answers 404 for unknown routes and 405 with Allow for known routes, as problem+json', async () => {
    const missing = await fetch(`${baseUrl}/api/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await missing.json()).toMatchObject({ type: 'urn:kv-jwt:error:not_found', title: 'Not Found', status: 404, code: 'not_found' });
    expect((await fetch(`${baseUrl}/init`)).status).toBe(404);
    const wrongMethod = await fetch(`${baseUrl}/api/echo/1`, { method: 'GET' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, PUT');
    expect(await wrongMethod.json()).toMatchObject({ code: 'method_not_allowed', status: 405 });
  });

  it('refuses bodies over the cap with 413, by declared and by streamed length, and lets exactly the cap through', async () => {
    const declared = await fetch(`${baseUrl}/api/echo/1`, { method: 'POST', body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 97) });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(await declared.json()).toMatchObject({ code: 'payload_too_large' });
    const streamed = await postPaced(port, '/api/echo/1', 20 * 64 * 1024, { chunked: true });
    expect(streamed).toMatchObject({ status: 413 });
    const exactly = await fetch(`${baseUrl}/api/size`, { method: 'POST', body: Buffer.alloc(MAX_REQUEST_BYTES, 97) });
    expect(await exactly.json()).toEqual({ bytes: MAX_REQUEST_BYTES });
  });

  it('lets a client that writes 2 MB before reading receive the 413 problem document (no EPIPE or reset)', async () => {
    for (const chunked of [false, true]) {
      for (let i = 0; i < 3; i += 1) {
        const answer = await postPaced(port, '/api/size', 2 * 1024 * 1024, { chunked });
        expect(answer).toEqual({ status: 413, body: expect.stringContaining('"code":"payload_too_large"') });
      }
    }
    // Past the bound the host answers at once and closes, whatever the client is still writing.
    expect(MAX_DISCARD_BYTES).toBe(8 * 1024 * 1024);
    const declaredHuge = await fetch(`${baseUrl}/api/size`, { method: 'POST', body: Buffer.alloc(MAX_DISCARD_BYTES + 1, 97) }).then((r) => r.status, () => 'cut');
    expect([413, 'cut']).toContain(declaredHuge);
    const streamedHuge = await postPaced(port, '/api/size', MAX_DISCARD_BYTES + 256 * 1024, { chunked: true });
    expect(streamedHuge.status ?? streamedHuge.error).toBeDefined();
    expect((await fetch(`${baseUrl}/api/init`)).status).toBe(201); // and the host goes on serving
  });

  it('answers 500 with a generic problem when a handler throws or returns a non-object, logging the class name only', async () => {
    const thrown = await fetch(`${baseUrl}/api/throws`, { method: 'POST', body: SECRET });
    expect(thrown.status).toBe(500);
    const document = (await thrown.json()) as Record<string, unknown>;
    expect(document).toMatchObject({ code: 'internal_error', detail: 'An unexpected error occurred.' });
    expect(JSON.stringify(document)).not.toContain(SECRET);
    expect(entries()).toContainEqual(expect.objectContaining({ message: 'function.threw', function: 'throws', error: 'TypeError' }));
    expect((await fetch(`${baseUrl}/api/not-object`)).status).toBe(500);
    expect(entries()).toContainEqual(expect.objectContaining({ message: 'function.threw', function: 'notObject', error: 'TypeError' }));
  });

  it('logs one line per request with the route template, and the function’s own lines; never headers, query strings or bodies', async () => {
    await fetch(`${baseUrl}/api/logs?token=${SECRET}`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` }, body: SECRET });
    const forLogs = entries().filter((entry) => entry.message === 'http.request' && entry.function === 'logs');
    expect(forLogs).toEqual([expect.objectContaining({ method: 'POST', route: 'api/logs', status: 200, level: 'info' })]);
    expect(Object.keys(forLogs[0])).toEqual(['time', 'level', 'message', 'function', 'invocationId', 'method', 'route', 'status', 'durationMs']);
    expect(entries()).toContainEqual(expect.objectContaining({ message: 'handler line { n: 1 }', function: 'logs', invocationId: forLogs[0].invocationId }));
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain('c2VjcmV0');
  });

  it('never logs a raw path: a token in an unknown or matched path stays out of every line', async () => {
    const before = lines.length;
    expect((await fetch(`${baseUrl}/api/verify/${SECRET}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${baseUrl}/${SECRET}`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/api/keys/${SECRET}`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/api/keys/${SECRET}`, { method: 'DELETE' })).status).toBe(405);
    const logged = entries().slice(before);
    expect(logged.map((entry) => entry.path ?? entry.route)).toEqual(['/api/…', '/…', 'api/keys/{kid}', 'api/keys/{kid}']);
    expect(lines.join('\n')).not.toContain(SECRET.split('.')[0]);
  });

  it('cuts a client that stalls while sending its headers or its body, with a 408', async () => {
    for (const partial of ['POST /api/size HTTP/1.1\r\nHost: x\r\n', 'POST /api/size HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":']) {
      const started = Date.now();
      const answer = await stallMidRequest(port, partial);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(1500 + 2500);
    }
    // The body stalled after the function was found: its line says the connection closed, not that the host answered.
    await new Promise((resolveLater) => setTimeout(resolveLater, 50));
    expect(entries().filter((entry) => entry.message === 'http.request').pop()).toMatchObject({ function: 'size', route: 'api/size', closed: true });
  });
});
