import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { ServiceError, toProblem, type ErrorCode } from '../src/errors';
import { errorFields, type HostLog } from './host-log';
import type { Router } from './routes';

/** Bodies above this are refused before any function sees them (the functions apply their own, smaller caps). */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** A refused body is still read and dropped up to this much, so a client that sends it all before reading gets the 413, not a reset. */
export const MAX_DISCARD_BYTES = 8 * 1024 * 1024;

type WireResponse = { status: number; headers: Record<string, string>; body: Buffer | string };

/** The body, or undefined once it passes MAX_REQUEST_BYTES: then read and dropped up to MAX_DISCARD_BYTES (past it, leaving the loop cuts the connection). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_DISCARD_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    else if (size > MAX_DISCARD_BYTES) return undefined;
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks);
}

/**
 * A handler's result as the worker converts it (converters/toRpcHttp.ts): an HttpResponse as is, other
 * objects through `new HttpResponse(init)`, anything else refused; none is a 204. No cookies: this app sets none.
 */
async function toWire(result: unknown): Promise<WireResponse> {
  if (result === undefined || result === null) return { status: 204, headers: {}, body: '' };
  if (typeof result !== 'object') throw new TypeError('The HTTP response must be an object with optional properties "body", "status", "headers" and "cookies".');
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  return { status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) };
}

/** One request: routed (404, 405), its body capped (413), the function called; one log line when answered. */
function exchange(request: IncomingMessage, response: ServerResponse, log: HostLog): { serve: (router: Router) => Promise<void>; fail: (error: unknown) => void } {
  const started = Date.now();
  const invocationId = randomUUID();
  let functionName: string | undefined;
  // The route template, or what may be said of an unmatched path: never the raw path, which may carry a token.
  let where: { route: string } | { path: string } = { path: '/…' };
  const send = ({ status, headers, body }: WireResponse): void => {
    // A client that left, or that Node cut for stalling (it answered 408 itself), gets nothing more.
    const closed = response.destroyed;
    if (!closed) response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
    log.write('info', 'http.request', { function: functionName, invocationId, method: request.method, ...where, ...(closed ? { closed } : { status }), durationMs: Date.now() - started });
  };
  const problem = (code: ErrorCode, detail: string, headers: Record<string, string> = {}): void => {
    const document = toProblem(new ServiceError(code, detail));
    send({ status: document.status, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(document) });
  };
  // A function threw (or returned what the worker refuses), or the host failed: a generic 500; the log names the class only.
  const fail = (error: unknown, message = 'http.failed'): void => {
    log.write('error', message, { function: functionName, invocationId, ...errorFields(error) });
    problem('internal_error', 'An unexpected error occurred.');
  };

  async function serve(router: Router): Promise<void> {
    const base = `http://${request.headers.host ?? 'localhost'}`;
    if (!URL.canParse(request.url ?? '/', base)) return problem('invalid_request', 'The request URL or Host header is malformed.');
    const url = new URL(request.url ?? '/', base);
    const method = request.method ?? 'GET';
    const { found, allowed, template } = router.match(url.pathname, method);
    where = template === undefined ? { path: router.unmatchedPath(url.pathname) } : { route: template };
    if (!found) return allowed.length > 0 ? problem('method_not_allowed', `Use ${allowed.join(', ')}.`, { allow: allowed.join(', ') }) : problem('not_found', 'No function serves this route.');
    const { name, handler } = found.registration;
    functionName = name;
    const body = await readBody(request);
    if (body === undefined) return problem('payload_too_large', `The request body may be at most ${MAX_REQUEST_BYTES} bytes.`, { connection: 'close' });
    // What the worker gets from the host: one value per header (repeats joined) and per query name (the last).
    const headers = Object.fromEntries(Object.entries(request.headers).map(([header, value]) => [header, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
    const httpRequest = new HttpRequest({ method, url: url.href, headers, query: Object.fromEntries(url.searchParams), params: found.params, body: body.length > 0 ? { bytes: body } : undefined });
    const context = new InvocationContext({ functionName: name, invocationId, logHandler: log.handlerFor(name, invocationId) });
    let answer: WireResponse;
    try {
      answer = await toWire(await handler(httpRequest, context));
    } catch (error: unknown) {
      return fail(error, 'function.threw');
    }
    send(answer);
  }
  return { serve, fail };
}

/**
 * Serves the HTTP functions with the Functions host's routes, methods and prefix; each call gets the
 * library's own HttpRequest and InvocationContext, built as the worker builds them. The router is a
 * promise: the host listens before the app loads. A client has `requestTimeoutMs` to send a request.
 */
export function createHostServer(routerLoading: Promise<Router>, log: HostLog, requestTimeoutMs: number): Server {
  routerLoading.catch(() => undefined); // a failed start is reported once, by main; waiting requests get a 500
  const timeouts = { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) };
  const server = createServer(timeouts, (request, response) => {
    const { serve, fail } = exchange(request, response, log);
    routerLoading.then(serve).catch(fail);
  });
  server.keepAliveTimeout = Math.min(5000, requestTimeoutMs);
  return server;
}
