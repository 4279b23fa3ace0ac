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
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers.entries()) headers[name] = value;
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

export function writeWireResponse(target: ServerResponse, wire: { status: number; headers: Record<string, string>; body: Buffer }): void {
  target.writeHead(wire.status, { ...wire.headers, 'content-length': String(wire.body.length) });
  target.end(wire.body);
}
