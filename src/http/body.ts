import { ServiceError } from '../errors';

/**
 * A request whose body is already in memory — the embedded host's (devhost/host-request.ts) — so
 * its text can be had in this turn. The worker's HttpRequest streams its body and has no such
 * member; readers fall back to `await request.text()`.
 */
export interface BufferedBody {
  /** The body as text (read once, like text()), or undefined when it is not in hand. */
  textNow(): string | undefined;
}

export function isBufferedBody(request: object): request is BufferedBody {
  return typeof (request as Partial<BufferedBody>).textNow === 'function';
}

export type ParsedBody = { kind: 'json'; value: unknown } | { kind: 'form'; value: URLSearchParams } | { kind: 'empty' };

/**
 * Parses a request body by its content type: JSON, or form-encoded (RFC 7662 / RFC 7009 clients
 * send `token=`). Anything else is a 415; broken JSON a 400; never a 5xx.
 */
export function parseBody(contentType: string | null | undefined, text: string): ParsedBody {
  if (text.trim() === '') return { kind: 'empty' };
  const type = contentType === 'application/json' ? contentType : (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { kind: 'form', value: new URLSearchParams(text) };
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    try {
      return { kind: 'json', value: JSON.parse(text) as unknown };
    } catch {
      throw new ServiceError('invalid_json', 'The request body is not valid JSON.');
    }
  }
  throw new ServiceError('unsupported_media_type', 'Send application/json or application/x-www-form-urlencoded.');
}

export function requireJsonObject(body: ParsedBody): Record<string, unknown> {
  if (body.kind === 'json' && typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)) {
    return body.value as Record<string, unknown>;
  }
  if (body.kind === 'empty') throw new ServiceError('invalid_request', 'The request body is empty; send a JSON object.');
  throw new ServiceError('invalid_request', 'The request body must be a JSON object.');
}

/** A single string field from a JSON object or form body (e.g. `token`). */
export function readStringField(body: ParsedBody, name: string, required: boolean): string | undefined {
  let value: unknown;
  if (body.kind === 'form') {
    const all = body.value.getAll(name);
    if (all.length > 1) throw new ServiceError('invalid_request', `"${name}" must be given once.`);
    value = all[0];
  } else if (body.kind === 'json') {
    value = requireJsonObject(body)[name];
  }
  if (value === undefined || value === null || value === '') {
    if (required) throw new ServiceError('invalid_request', `"${name}" is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ServiceError('invalid_request', `"${name}" must be a string.`);
  return value;
}
