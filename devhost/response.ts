import type { ServerResponse } from 'node:http';
import { HttpResponse } from '@azure/functions';

/** A handler returned something the Functions worker would refuse (it must be an object). */
export class InvalidHandlerResultError extends Error {
  constructor() {
    super('The HTTP response must be an object with optional properties "body", "status", "headers" and "cookies".');
    this.name = 'InvalidHandlerResultError';
  }
}

/** Status, lower-cased headers and body, ready for the socket. A string body is sent as UTF-8. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const EMPTY = Buffer.alloc(0);

/**
 * Converts what an HTTP handler returned into status, headers and body the way the worker does
 * (converters/toRpcHttp.ts): an HttpResponse is used as is, any other object goes through
 * `new HttpResponse(init)` so `jsonBody` (with its default content type), string, bytes and stream
 * bodies, and null-body statuses behave exactly as in Azure. Cookies are not used by this app and
 * are not forwarded. The shapes this app returns are converted synchronously (see plainResponse);
 * only the others wait for the body to be read.
 */
export function toWireResponse(result: unknown): WireResponse | Promise<WireResponse> {
  if (result === undefined || result === null) return { status: 204, headers: {}, body: EMPTY };
  if (typeof result !== 'object') throw new InvalidHandlerResultError();
  return plainResponse(result) ?? viaHttpResponse(result instanceof HttpResponse ? result : new HttpResponse(result));
}

async function viaHttpResponse(response: HttpResponse): Promise<WireResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers.entries()) headers[name] = value;
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/**
 * One write for head and body: Node joins the head and a string body into a single string, where a
 * Buffer body goes out as a second chunk. Headers go as a flat list, which Node takes without
 * walking an object's keys.
 */
export function writeWireResponse(target: ServerResponse, wire: WireResponse): void {
  const flat: string[] = [];
  for (const name in wire.headers) flat.push(name, wire.headers[name]);
  flat.push('content-length', String(typeof wire.body === 'string' ? Buffer.byteLength(wire.body) : wire.body.length));
  target.writeHead(wire.status, flat);
  target.end(wire.body);
}

/**
 * The shapes this app's handlers return — `{ status?, headers? (strings), jsonBody | string body }` —
 * serialised directly: the same bytes and headers `new HttpResponse(init)` would give (JSON with
 * `application/json` unless set, UTF-8 text), without building an undici Response per request,
 * which costs more than verifying the token. Anything else takes the worker's path above.
 */
function plainResponse(result: object): WireResponse | undefined {
  if (result instanceof HttpResponse) return undefined;
  const init = result as { status?: unknown; headers?: unknown; jsonBody?: unknown; body?: unknown };
  for (const key in init) if (key !== 'status' && key !== 'headers' && key !== 'jsonBody' && key !== 'body') return undefined;
  const status = init.status ?? 200;
  if (typeof status !== 'number' || status === 204 || status === 304) return undefined;
  const headers: Record<string, string> = {};
  if (init.headers !== undefined) {
    if (typeof init.headers !== 'object' || init.headers === null || Array.isArray(init.headers) || init.headers instanceof Headers) return undefined;
    const given = init.headers as Record<string, unknown>;
    for (const name in given) {
      const value = given[name];
      if (typeof value !== 'string') return undefined;
      headers[name.toLowerCase()] = value;
    }
  }
  if (init.jsonBody !== undefined && init.body === undefined) {
    headers['content-type'] ??= 'application/json';
    return { status, headers, body: JSON.stringify(init.jsonBody) };
  }
  if (typeof init.body === 'string' && init.jsonBody === undefined) {
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
    return { status, headers, body: init.body };
  }
  if (init.body === undefined && init.jsonBody === undefined) return { status, headers, body: EMPTY };
  return undefined;
}
