import type { ServerResponse } from 'node:http';
import { HttpResponse } from '@azure/functions';

/** A handler returned something the Functions worker would refuse (it must be an object). */
export class InvalidHandlerResultError extends Error {
  constructor() {
    super('The HTTP response must be an object with optional properties "body", "status", "headers" and "cookies".');
    this.name = 'InvalidHandlerResultError';
  }
}

/**
 * Converts what an HTTP handler returned into status, headers and body bytes the way the worker
 * does (converters/toRpcHttp.ts): an HttpResponse is used as is, any other object goes through
 * `new HttpResponse(init)` so `jsonBody` (with its default content type), string, bytes and stream
 * bodies, and null-body statuses behave exactly as in Azure. Cookies are not used by this app and
 * are not forwarded.
 */
export async function toWireResponse(result: unknown): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  if (result === undefined || result === null) return { status: 204, headers: {}, body: Buffer.alloc(0) };
  if (typeof result !== 'object') throw new InvalidHandlerResultError();
  const plain = plainResponse(result);
  if (plain) return plain;
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers.entries()) headers[name] = value;
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

export function writeWireResponse(target: ServerResponse, wire: { status: number; headers: Record<string, string>; body: Buffer }): void {
  target.writeHead(wire.status, { ...wire.headers, 'content-length': String(wire.body.length) });
  target.end(wire.body);
}

const PLAIN_KEYS = new Set(['status', 'headers', 'jsonBody', 'body']);

/**
 * The shapes this app's handlers return — `{ status?, headers? (strings), jsonBody | string body }` —
 * serialised directly: the same bytes and headers `new HttpResponse(init)` would give (JSON with
 * `application/json` unless set, UTF-8 text), without building an undici Response per request,
 * which costs more than verifying the token. Anything else takes the worker's path above.
 */
function plainResponse(result: object): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const init = result as { status?: unknown; headers?: unknown; jsonBody?: unknown; body?: unknown };
  if (result instanceof HttpResponse || Object.keys(result).some((key) => !PLAIN_KEYS.has(key))) return undefined;
  const status = init.status ?? 200;
  if (typeof status !== 'number' || status === 204 || status === 304) return undefined;
  const headers: Record<string, string> = {};
  if (init.headers !== undefined) {
    if (typeof init.headers !== 'object' || init.headers === null || Array.isArray(init.headers) || init.headers instanceof Headers) return undefined;
    for (const [name, value] of Object.entries(init.headers)) {
      if (typeof value !== 'string') return undefined;
      headers[name.toLowerCase()] = value;
    }
  }
  if (init.jsonBody !== undefined && init.body === undefined) {
    headers['content-type'] ??= 'application/json';
    return { status, headers, body: Buffer.from(JSON.stringify(init.jsonBody)) };
  }
  if (typeof init.body === 'string' && init.jsonBody === undefined) {
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
    return { status, headers, body: Buffer.from(init.body) };
  }
  if (init.body === undefined && init.jsonBody === undefined) return { status, headers, body: Buffer.alloc(0) };
  return undefined;
}
