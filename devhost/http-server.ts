import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ServiceError, toProblem, type ErrorCode } from '../src/errors';
import { errorFields } from './error-fields';
import { HostInvocationContext } from './host-context';
import { HostHttpRequest } from './host-request';
import type { HostLog } from './host-log';
import { toWireResponse, writeWireResponse, type WireResponse } from './response';
import { requestUrl, type RequestUrl } from './request-url';
import type { RouteMatch, Router } from './routes';

/** Bodies above this are refused before any function sees them (the functions apply their own, smaller caps). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** One request in flight: what its log line needs once it is answered. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  log: HostLog;
  started: number;
  invocationId: string;
  functionName?: string;
}

function sendProblem(response: ServerResponse, code: ErrorCode, detail: string, headers: Record<string, string> = {}): number {
  const document = toProblem(new ServiceError(code, detail));
  writeWireResponse(response, {
    status: document.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(document),
  });
  return document.status;
}

/** The request line of the log: method, path without the query, status, duration — never headers or bodies. */
function answered(exchange: Exchange, status: number): void {
  const { request, log, started, invocationId, functionName } = exchange;
  const path = pathOf(request);
  log.request({ function: functionName, invocationId, method: request.method, path, status, durationMs: Date.now() - started });
}

function pathOf(request: IncomingMessage): string {
  const target = request.url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** A failure outside any function (the app did not load, the socket broke): logged by class, answered 500. */
function failed(exchange: Exchange, error: unknown): void {
  const { response, log, invocationId, request } = exchange;
  log.write('error', 'http.failed', { invocationId, path: pathOf(request), ...errorFields(error) });
  if (!response.headersSent) sendProblem(response, 'internal_error', 'An unexpected error occurred.');
  else response.destroy();
}

/** The function threw, rejected or returned something the worker would refuse. Never the message: it may quote input. */
function threw(exchange: Exchange, error: unknown): void {
  exchange.log.write('error', 'function.threw', { function: exchange.functionName, invocationId: exchange.invocationId, ...errorFields(error) });
  answered(exchange, exchange.response.headersSent ? 500 : sendProblem(exchange.response, 'internal_error', 'An unexpected error occurred.'));
}

/** Calls `then` with the body, or with undefined once it exceeds the cap (the rest is discarded unread). */
function readBody(exchange: Exchange, then: (body: Buffer | undefined) => void): void {
  const { request } = exchange;
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) {
      chunks.push(chunk);
      return;
    }
    request.off('data', onData);
    request.off('end', onEnd);
    request.resume();
    then(undefined);
  };
  const onEnd = (): void => then(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('error', (error) => failed(exchange, error));
}

function respond(exchange: Exchange, result: unknown): void {
  try {
    const wire = toWireResponse(result);
    if (wire instanceof Promise) wire.then((converted) => write(exchange, converted)).catch((error: unknown) => threw(exchange, error));
    else write(exchange, wire);
  } catch (error: unknown) {
    threw(exchange, error);
  }
}

function write(exchange: Exchange, wire: WireResponse): void {
  writeWireResponse(exchange.response, wire);
  answered(exchange, wire.status);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function');
}

/** Calls the function with a request and context like the worker's; a synchronous answer is written at once. */
function invoke(exchange: Exchange, found: RouteMatch, url: RequestUrl, method: string, body: Buffer): void {
  const { name, handler } = found.registration;
  const request = new HostHttpRequest({ method, url: url.href, headers: exchange.request.headers, query: url.query, params: found.params, body: body.length > 0 ? body : undefined });
  const context = new HostInvocationContext(name, exchange.invocationId, exchange.log);
  let result: unknown;
  try {
    result = handler(request, context);
  } catch (error: unknown) {
    threw(exchange, error);
    return;
  }
  // A native promise or any thenable is awaited, as the worker awaits the handler; anything else is the answer itself.
  if (isThenable(result)) Promise.resolve(result).then((value: unknown) => respond(exchange, value), (error: unknown) => threw(exchange, error));
  else respond(exchange, result);
}

/** Route (404/405 as problem+json), cap the body (413), then invoke. */
function dispatch(exchange: Exchange, router: Router): void {
  const { request, response } = exchange;
  let url: RequestUrl;
  try {
    url = requestUrl(request.url ?? '/', request.headers.host ?? '127.0.0.1');
  } catch {
    answered(exchange, sendProblem(response, 'invalid_request', 'The request URL or Host header is malformed.'));
    return;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const { found, allowed } = router.match(url.pathname, method);
  if (!found) {
    const status =
      allowed.length > 0
        ? sendProblem(response, 'method_not_allowed', `Use ${allowed.join(', ')}.`, { allow: allowed.join(', ') })
        : sendProblem(response, 'not_found', 'No function serves this route.');
    answered(exchange, status);
    return;
  }
  exchange.functionName = found.registration.name;
  const tooLarge = (): void =>
    answered(exchange, sendProblem(response, 'payload_too_large', `The request body may be at most ${MAX_REQUEST_BYTES} bytes.`, { connection: 'close' }));
  if (Number(request.headers['content-length'] ?? '0') > MAX_REQUEST_BYTES) {
    tooLarge();
    return;
  }
  readBody(exchange, (body) => {
    try {
      if (body === undefined) tooLarge();
      else invoke(exchange, found, url, method, body);
    } catch (error: unknown) {
      failed(exchange, error);
    }
  });
}

/**
 * Serves the registered HTTP functions over node:http with the same routes, methods and prefix as
 * the Functions host; each handler gets an HttpRequest (host-request.ts) and an InvocationContext
 * (host-context.ts) that behave like the worker's. The router is a promise because the host listens
 * before the app loads (so PORT=0 can pick a port the functions then read from their settings,
 * without a race for it); early requests wait for it, as they would on a warming-up Functions host.
 * Once it is ready a request runs without a promise of the host's own: routing, body, the call, and
 * a synchronous answer all happen in the socket's callbacks.
 * One log line per request: method, path without the query, status, duration — never headers
 * (Authorization) or bodies (tokens, claims).
 */
export function createHostServer(routerLoading: Promise<Router>, log: HostLog): Server {
  let router: Router | undefined;
  routerLoading.then(
    (loaded) => (router = loaded),
    () => undefined, // each waiting request answers the failure below
  );
  return createServer((request, response) => {
    const exchange: Exchange = { request, response, log, started: Date.now(), invocationId: randomUUID() };
    if (router === undefined) {
      routerLoading.then((loaded) => dispatch(exchange, loaded)).catch((error: unknown) => failed(exchange, error));
      return;
    }
    try {
      dispatch(exchange, router);
    } catch (error: unknown) {
      failed(exchange, error);
    }
  });
}
