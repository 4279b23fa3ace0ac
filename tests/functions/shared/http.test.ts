import { HttpRequest } from '@azure/functions';
import { ServiceError } from '../../../src/errors';
import { readBody } from '../../../functions/shared/http';

/** A request whose body is already in memory (src/http/body.ts BufferedBody): the worker's request plus textNow(), read once like text(). */
function hostRequest(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): HttpRequest {
  let unread = true;
  const textNow = (): string => {
    if (!unread) throw new TypeError('Body is unusable: Body has already been read');
    unread = false;
    return body;
  };
  return Object.assign(new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers, body: { string: body } }), { textNow });
}

/** The functions' body cap on what was actually received, when no (or a false) Content-Length declared it. */
function request(body: string): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers: { 'content-type': 'application/json' }, body: { string: body } });
}

/** What a read ends in; a refusal may come at once (a thrown error) or later (a rejection). */
async function code(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'read';
  } catch (error: unknown) {
    if (error instanceof ServiceError) return error.code;
    if (error instanceof TypeError) return 'TypeError';
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

  it('reads a body the host holds in this turn, with the same caps', async () => {
    const read = readBody(hostRequest('{"token":"t"}'), cap);
    expect(read).not.toBeInstanceOf(Promise);
    expect(read).toEqual({ kind: 'json', value: { token: 't' } });
    expect(await code(() => readBody(hostRequest(`{"a":"${'✓'.repeat(8)}"}`), cap))).toBe('payload_too_large');
    expect(await code(() => readBody(hostRequest('{"a":1}', { 'content-length': '31' }), cap))).toBe('payload_too_large');
    expect(await code(() => readBody(hostRequest('{"a":'), cap))).toBe('invalid_json');
  });

  it("waits for the worker's streamed body", async () => {
    const read = readBody(request('{"token":"t"}'), cap);
    expect(read).toBeInstanceOf(Promise);
    await expect(read).resolves.toEqual({ kind: 'json', value: { token: 't' } });
  });

  it('reads a held body once, as text() does', async () => {
    const held = hostRequest('{}');
    expect(readBody(held, cap)).toEqual({ kind: 'json', value: {} });
    expect(await code(() => readBody(held, cap))).toBe('TypeError');
  });
});
