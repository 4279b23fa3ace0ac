import { ServiceError } from '../errors';

export type ParsedBody = { kind: 'json'; value: unknown } | { kind: 'form'; value: URLSearchParams } | { kind: 'empty' };

/**
 * What a route reads. JSON routes take `application/json` only: a web page can send
 * `text/plain` or a form to any address without a CORS preflight, so no type it can send that
 * way is ever parsed as JSON. Verify and revoke also take the form encoding of RFC 7662 / 7009.
 */
export type BodyMediaTypes = 'json' | 'json-or-form';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Parses a request body by its content type. A type the route does not take is a 415 (also when
 * it is missing), broken JSON a 400; never a 5xx.
 */
export function parseBody(contentType: string | null | undefined, text: string, accepted: BodyMediaTypes = 'json'): ParsedBody {
  const type = mediaType(contentType);
  const json = type === JSON_TYPE;
  const form = type === FORM_TYPE && accepted === 'json-or-form';
  if (!json && !form) {
    throw new ServiceError('unsupported_media_type', accepted === 'json' ? 'Send the body as application/json.' : 'Send application/json or application/x-www-form-urlencoded.');
  }
  if (text.trim() === '') return { kind: 'empty' };
  if (form) return { kind: 'form', value: new URLSearchParams(text) };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    throw new ServiceError('invalid_json', 'The request body is not valid JSON.');
  }
}

export function requireJsonObject(body: ParsedBody): Record<string, unknown> {
  if (body.kind === 'json' && typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)) {
    return body.value as Record<string, unknown>;
  }
  if (body.kind === 'empty') throw new ServiceError('invalid_request', 'The request body is empty; send a JSON object.');
  throw new ServiceError('invalid_request', 'The request body must be a JSON object.');
}

/**
 * A single string field from a JSON object or form body (e.g. `token`). An empty string counts as
 * absent, unless `emptyIsInvalid` (a filter like `audience` must never silently widen to "any").
 */
export function readStringField(body: ParsedBody, name: string, required: boolean, emptyIsInvalid = false): string | undefined {
  let value: unknown;
  if (body.kind === 'form') {
    const all = body.value.getAll(name);
    if (all.length > 1) throw new ServiceError('invalid_request', `"${name}" must be given once.`);
    value = all[0];
  } else if (body.kind === 'json') {
    value = requireJsonObject(body)[name];
  }
  if (value === '' && emptyIsInvalid) throw new ServiceError('invalid_request', `"${name}" must not be empty.`);
  if (value === undefined || value === null || value === '') {
    if (required) throw new ServiceError('invalid_request', `"${name}" is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ServiceError('invalid_request', `"${name}" must be a string.`);
  return value;
}
