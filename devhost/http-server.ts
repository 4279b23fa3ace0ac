import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { HostLog } from './host-log';
import type { Router } from './routes';

const MAX_REQUEST_BYTES = 1024 * 1024;

function problem(response: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
  response.end(JSON.stringify({ type: `urn:kv-jwt:error:${code}`, status, code, detail }));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        resolve(undefined);
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

async function send(response: ServerResponse, result: HttpResponseInit | HttpResponse | undefined): Promise<void> {
  if (result instanceof HttpResponse) {
    const headers: Record<string, string> = {};
    result.headers.forEach((value, name) => (headers[name] = value));
    response.writeHead(result.status, headers);
    response.end(Buffer.from(await result.arrayBuffer()));
    return;
  }
  const init = result ?? {};
  const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
  let body: Buffer | string | undefined;
  if (init.jsonBody !== undefined) {
    body = JSON.stringify(init.jsonBody);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else if (typeof init.body === 'string') {
    body = init.body;
  } else if (init.body instanceof Uint8Array) {
    body = Buffer.from(init.body);
  }
  const plain: Record<string, string> = {};
  headers.forEach((value, name) => (plain[name] = value));
  response.writeHead(init.status ?? 200, plain);
  response.end(body);
}

/**
 * Serves the registered HTTP functions over node:http: the same routes, methods and route prefix as
 * the Functions host, the handler called with a real HttpRequest and InvocationContext.
 */
export function createHostServer(router: Router, log: HostLog): Server {
  return createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? 'localhost'}`);
      const method = (request.method ?? 'GET').toUpperCase();
      const { found, allowed } = router.match(url.pathname, method);
      if (!found) {
        if (allowed.length > 0) return problem(response, 405, 'method_not_allowed', `Use ${allowed.join(', ')}.`, { Allow: allowed.join(', ') });
        return problem(response, 404, 'not_found', 'No function serves this route.');
      }
      const body = await readBody(request);
      if (body === undefined) return problem(response, 413, 'payload_too_large', 'The request body is too large.');
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const invocationId = randomUUID();
      const httpRequest = new HttpRequest({
        method,
        url: url.toString(),
        headers,
        query: Object.fromEntries(url.searchParams),
        params: found.params,
        body: body.length > 0 ? { bytes: body } : undefined,
      });
      const context = new InvocationContext({
        functionName: found.registration.name,
        invocationId,
        logHandler: log.handlerFor(found.registration.name, invocationId),
      });
      try {
        await send(response, (await found.registration.handler(httpRequest, context)) as HttpResponseInit | HttpResponse | undefined);
      } catch (error: unknown) {
        // Never the message: it may quote input. The class name is enough to find the bug.
        log.write('error', 'function.threw', { function: found.registration.name, invocationId, error: error instanceof Error ? error.name : typeof error });
        if (!response.headersSent) problem(response, 500, 'internal_error', 'An unexpected error occurred.');
        else response.end();
      }
    })().catch(() => {
      if (!response.headersSent) problem(response, 500, 'internal_error', 'An unexpected error occurred.');
    });
  });
}
