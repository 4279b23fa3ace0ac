import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as rawRequest } from 'node:http';
import { HttpResponse, type HttpRequest, type InvocationContext } from '@azure/functions';
import { HostLog } from '../../devhost/host-log';
import { MAX_REQUEST_BYTES, createHostServer } from '../../devhost/http-server';
import type { Registration } from '../../devhost/registry';
import { Router } from '../../devhost/routes';

/** The host's HTTP side in process, over real sockets, with small registrations standing in for functions. */
const SECRET = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJl';

function http(name: string, route: string, methods: string[], handler: (request: HttpRequest, context: InvocationContext) => unknown): Registration {
  return { name, trigger: 'http', route, methods, authLevel: 'anonymous', handler: handler as Registration['handler'] };
}

const registrations: Registration[] = [
  http('echo', 'echo/{id}/{part?}', ['POST', 'PUT'], async (request, context) => ({
    jsonBody: {
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
];

let server: Server;
let baseUrl: string;
const lines: string[] = [];
let releaseRouter: () => void = () => undefined;

beforeAll(async () => {
  const router = new Promise<Router>((resolveRouter) => {
    releaseRouter = () => resolveRouter(new Router('api', registrations));
  });
  server = createHostServer(router, new HostLog((_level, line) => lines.push(line)));
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', () => resolveListen()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  releaseRouter();
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
});

describe('embedded host HTTP server', () => {
  it('holds requests that arrive while the app loads and serves them once it is ready', async () => {
    const early = fetch(`${baseUrl}/api/init`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 50));
    releaseRouter();
    expect((await early).status).toBe(201);
  });

  it('passes method, full URL, route parameters, query, headers and body bytes to the handler', async () => {
    const response = await fetch(`${baseUrl}/API/Echo/abc%20d?x=1&y=two`, { method: 'PUT', headers: { 'x-test': 'yes' }, body: 'hello ✓' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      method: 'PUT',
      url: `${baseUrl}/API/Echo/abc%20d?x=1&y=two`,
      params: { id: 'abc d' },
      query: { x: '1', y: 'two' },
      header: 'yes',
      body: 'hello ✓',
      functionName: 'echo',
    });
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    const second = (await (await fetch(`${baseUrl}/api/echo/a/b`, { method: 'POST' })).json()) as Record<string, unknown>;
    expect(second.params).toEqual({ id: 'a', part: 'b' });
    expect(second.invocationId).not.toBe(body.invocationId);
  });

  it('converts HttpResponseInit and HttpResponse results like the worker', async () => {
    const init = await fetch(`${baseUrl}/api/init`);
    expect([init.status, init.headers.get('x-a'), await init.text()]).toEqual([201, '1', 'plain']);
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

  it('refuses bodies over the cap with 413, by declared length and by streamed length', async () => {
    const declared = await fetch(`${baseUrl}/api/echo/1`, { method: 'POST', body: Buffer.alloc(MAX_REQUEST_BYTES + 1, 97) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 'payload_too_large' });
    const streamed = await new Promise<number>((resolveStatus, reject) => {
      const request = rawRequest(`${baseUrl}/api/echo/1`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolveStatus(response.statusCode ?? 0);
      });
      request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
      for (let i = 0; i < 20; i += 1) request.write(Buffer.alloc(64 * 1024, 98));
      request.end();
    });
    expect(streamed).toBe(413);
    const exactly = await fetch(`${baseUrl}/api/echo/1`, { method: 'POST', body: Buffer.alloc(MAX_REQUEST_BYTES, 97) });
    expect(exactly.status).toBe(200);
  });

  it('answers 500 with a generic problem when a handler throws or returns a non-object, logging the class name only', async () => {
    const thrown = await fetch(`${baseUrl}/api/throws`, { method: 'POST', body: SECRET });
    expect(thrown.status).toBe(500);
    const document = (await thrown.json()) as Record<string, unknown>;
    expect(document).toMatchObject({ code: 'internal_error', detail: 'An unexpected error occurred.' });
    expect(JSON.stringify(document)).not.toContain(SECRET);
    expect(lines.some((line) => line.includes('"function.threw"') && line.includes('"TypeError"'))).toBe(true);
    expect((await fetch(`${baseUrl}/api/not-object`)).status).toBe(500);
    expect(lines.some((line) => line.includes('"InvalidHandlerResultError"'))).toBe(true);
  });

  it('logs one line per request and the function’s own lines, never headers, query strings or bodies', async () => {
    await fetch(`${baseUrl}/api/logs?token=${SECRET}`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}` }, body: SECRET });
    const request = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.message === 'http.request' && entry.function === 'logs');
    expect(request).toMatchObject({ method: 'POST', path: '/api/logs', status: 200, level: 'info' });
    expect(lines.some((line) => line.includes('handler line {\\"n\\":1}') || line.includes('handler line {"n":1}'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain('c2VjcmV0');
  });
});
