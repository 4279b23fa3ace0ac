import { HttpRequest } from '@azure/functions';
import { ServiceError } from '../../../src/errors';
import { readBody } from '../../../functions/shared/http';

/** The functions' body cap on what was actually received, when no (or a false) Content-Length declared it. */
function request(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers, body: { string: body } });
}

async function code(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'read';
  } catch (error: unknown) {
    if (error instanceof ServiceError) return error.code;
    throw error;
  }
}

describe('readBody', () => {
  const cap = 30;

  it('counts UTF-8 bytes received, not characters', async () => {
    expect(await code(() => readBody(request(`{"a":"${'x'.repeat(cap - 8)}"}`), cap))).toBe('read'); // exactly 30 bytes
    expect(await code(() => readBody(request(`{"a":"${'x'.repeat(cap - 7)}"}`), cap))).toBe('payload_too_large');
    // 16 characters, 32 bytes: well under the cap in characters, over it in bytes.
    expect(await code(() => readBody(request(`{"a":"${'✓'.repeat(8)}"}`), cap))).toBe('payload_too_large');
    expect(await code(() => readBody(request(`{"a":"${'✓'.repeat(7)}"}`), cap))).toBe('read'); // 29 bytes
  });

  it('refuses a declared length over the cap before reading', async () => {
    const declared = new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers: { 'content-length': '31' }, body: { string: '{}' } });
    expect(await code(() => readBody(declared, cap))).toBe('payload_too_large');
    expect(declared.bodyUsed).toBe(false);
  });

  it('parses only the media types the route takes', async () => {
    await expect(readBody(request('{"token":"t"}'), cap)).resolves.toEqual({ kind: 'json', value: { token: 't' } });
    expect(await code(() => readBody(request('token=t', { 'content-type': 'application/x-www-form-urlencoded' }), cap))).toBe('unsupported_media_type');
    expect(await code(() => readBody(request('token=t', { 'content-type': 'application/x-www-form-urlencoded' }), cap, 'json-or-form'))).toBe('read');
    // A page can send text/plain, or no type, to any address without a CORS preflight.
    expect(await code(() => readBody(request('{"a":1}', { 'content-type': 'text/plain' }), cap))).toBe('unsupported_media_type');
    expect(await code(() => readBody(request('{"a":1}', {}), cap))).toBe('unsupported_media_type');
    expect(await code(() => readBody(request('{"a":'), cap))).toBe('invalid_json');
  });
});
