import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { ServiceError, toProblem, type ErrorCode } from '../src/errors';
import { errorFields } from './error-fields';
import type { HostLog } from './host-log';
import { toWireResponse, writeWireResponse } from './response';
import type { Router } from './routes';

/** Bodies above this are refused before any function sees them (the functions apply their own, smaller caps). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

function sendProblem(response: ServerResponse, code: ErrorCode, detail: string, headers: Record<string, string> = {}): number {
  const document = toProblem(new ServiceError(code, detail));
  const body = Buffer.from(JSON.stringify(document));
  writeWireResponse(response, {
    status: document.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body,
  });
  return document.status;
}

/** The body, or undefined once it exceeds the cap (the rest is discarded unread). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.resume();
      resolve(undefined);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function plainHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** One request: route, read the body, call the function, convert its answer. Returns the status sent. */
async function dispatch(request: IncomingMessage, response: ServerResponse, router: Router, log: HostLog, invocationId: string): Promise<{ status: number; functionName?: string }> {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
  } catch {
    return { status: sendProblem(response, 'invalid_request', 'The request URL or Host header is malformed.') };
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const { found, allowed } = router.match(url.pathname, method);
  if (!found) {
    if (allowed.length > 0) return { status: sendProblem(response, 'method_not_allowed', `Use ${allowed.join(', ')}.`, { allow: allowed.join(', ') }) };
    return { status: sendProblem(response, 'not_found', 'No function serves this route.') };
  }
  const functionName = found.registration.name;
  const tooLarge = (): { status: number; functionName: string } => ({
    status: sendProblem(response, 'payload_too_large', `The request body may be at most ${MAX_REQUEST_BYTES} bytes.`, { connection: 'close' }),
    functionName,
  });
  if (Number(request.headers['content-length'] ?? '0') > MAX_REQUEST_BYTES) return tooLarge();
  const body = await readBody(request);
  if (body === undefined) return tooLarge();

  const httpRequest = new HttpRequest({
    method,
    url: url.toString(),
    headers: plainHeaders(request),
    query: Object.fromEntries(url.searchParams),
    params: found.params,
    body: body.length > 0 ? { bytes: body } : undefined,
  });
  const context = new InvocationContext({ functionName, invocationId, logHandler: log.handlerFor(functionName, invocationId) });
  try {
    const wire = await toWireResponse(await found.registration.handler(httpRequest, context));
    writeWireResponse(response, wire);
    return { status: wire.status, functionName };
  } catch (error: unknown) {
    // Never the message: it may quote input. The class name (and code) is enough to find the bug.
    log.write('error', 'function.threw', { function: functionName, invocationId, ...errorFields(error) });
    return { status: sendProblem(response, 'internal_error', 'An unexpected error occurred.'), functionName };
  }
}

/**
 * Serves the registered HTTP functions over node:http with the same routes, methods and prefix as
 * the Functions host; each handler gets a real HttpRequest and InvocationContext. The router is a
 * promise because the host listens before the app loads (so PORT=0 can pick a port the functions
 * then read from their settings, without a race for it); early requests wait for it, as they
 * would on a warming-up Functions host.
 * One log line per request: method, path without the query, status, duration — never headers
 * (Authorization) or bodies (tokens, claims).
 */
export function createHostServer(router: Promise<Router>, log: HostLog): Server {
  return createServer((request, response) => {
    const started = Date.now();
    const invocationId = randomUUID();
    const path = (request.url ?? '/').split('?')[0];
    router
      .then((ready) => dispatch(request, response, ready, log, invocationId))
      .then(({ status, functionName }) => {
        log.write('info', 'http.request', { function: functionName, invocationId, method: request.method, path, status, durationMs: Date.now() - started });
      })
      .catch((error: unknown) => {
        log.write('error', 'http.failed', { invocationId, path, ...errorFields(error) });
        if (!response.headersSent) sendProblem(response, 'internal_error', 'An unexpected error occurred.');
        else response.destroy();
      });
  });
}
