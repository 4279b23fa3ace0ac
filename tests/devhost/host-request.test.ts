import { HttpRequest } from '@azure/functions';
import type { IncomingHttpHeaders } from 'node:http';
import { joinedHeaders } from '../../devhost/host-headers';
import { HostHttpRequest, type HostRequestInit } from '../../devhost/host-request';

/** The embedded host's HttpRequest against the worker's, over the same input. */
const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'oid', val: 'o-1' }], name_typ: 'name', role_typ: 'roles' })).toString('base64');

function init(method: string, body?: string | Buffer, headers: IncomingHttpHeaders = { 'content-type': 'application/json' }): HostRequestInit {
  return {
    method,
    url: 'http://127.0.0.1:7071/api/verify?x=1',
    headers: { host: '127.0.0.1:7071', ...headers },
    query: { x: '1' },
    params: { id: 'abc' },
    body: body === undefined ? undefined : Buffer.from(body),
  };
}

function pair(input: HostRequestInit): { host: HttpRequest; real: HttpRequest } {
  const { method, url, headers, query, params, body } = input;
  return {
    host: new HostHttpRequest(input),
    real: new HttpRequest({ method, url, headers: joinedHeaders(headers), query, params, body: body ? { bytes: body } : undefined }),
  };
}

async function drain(request: HttpRequest): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request.body ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
}

async function settle(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await run() };
  } catch (error: unknown) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

describe('HostHttpRequest reads like the worker’s HttpRequest', () => {
  it('has the same method, url, query, params and headers', () => {
    const { host, real } = pair(init('POST', '{"token":"t"}'));
    expect(host.method).toBe(real.method);
    expect(host.url).toBe(real.url);
    expect([...host.query]).toEqual([...real.query]);
    expect(host.params).toEqual(real.params);
    expect(host.headers.get('Content-Type')).toBe(real.headers.get('Content-Type'));
    expect([...host.headers]).toEqual([...real.headers]);
  });

  it.each(['text', 'json', 'arrayBuffer'] as const)('reads the body once with %s, then fails like undici', async (how) => {
    const { host, real } = pair(init('POST', '{"token":"t ✓"}'));
    const read = async (request: HttpRequest): Promise<unknown> => {
      const value = await request[how]();
      return value instanceof ArrayBuffer ? [...new Uint8Array(value)] : value;
    };
    expect(await settle(() => read(host))).toEqual(await settle(() => read(real)));
    expect(host.bodyUsed).toBe(real.bodyUsed);
    expect(await settle(() => host.text())).toEqual(await settle(() => real.text()));
    expect(await settle(() => host.blob())).toEqual(await settle(() => real.blob()));
  });

  it('decodes like undici: a leading BOM dropped, bad bytes replaced', async () => {
    for (const bytes of [Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), Buffer.from([0x61, 0xff, 0xc3, 0x62])]) {
      const { host, real } = pair(init('POST', bytes));
      expect(await host.text()).toBe(await real.text());
    }
    const broken = pair(init('POST', '{"a":'));
    expect(await settle(() => broken.host.json())).toEqual(await settle(() => broken.real.json()));
  });

  it('gives a copy of the bytes, not a view of the host’s buffer', async () => {
    const pooled = Buffer.from('xx{"a":1}yy').subarray(2, 9);
    const host = new HostHttpRequest({ ...init('POST'), body: pooled });
    const bytes = await host.arrayBuffer();
    expect(bytes.byteLength).toBe(7);
    new Uint8Array(bytes)[0] = 0;
    expect(pooled.toString()).toBe('{"a":1}');
  });

  it('drops the body of GET and HEAD and reads an absent body as empty, unused', async () => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the worker's request warns that it drops them
    for (const method of ['GET', 'HEAD', 'POST']) {
      const { host, real } = pair(init(method, method === 'POST' ? undefined : 'ignored'));
      expect(await host.text()).toBe(await real.text());
      expect(host.bodyUsed).toBe(real.bodyUsed);
      expect(host.body === null).toBe(real.body === null);
    }
  });

  it('streams, clones and parses forms through the worker’s own request', async () => {
    const form = pair(init('POST', 'token=a&token_type_hint=b', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect([...(await form.host.formData()).entries()]).toEqual([...(await form.real.formData()).entries()]);
    const streamed = pair(init('POST', 'streamed'));
    const clones = [streamed.host.clone(), streamed.real.clone()];
    expect(await drain(streamed.host)).toBe(await drain(streamed.real));
    expect(streamed.host.bodyUsed).toBe(streamed.real.bodyUsed);
    expect(await settle(() => streamed.host.text())).toEqual(await settle(() => streamed.real.text()));
    expect(await clones[0].text()).toBe(await clones[1].text());
    const used = pair(init('POST', 'once'));
    await used.host.text();
    await used.real.text();
    expect(await settle(async () => used.host.clone())).toEqual(await settle(async () => used.real.clone()));
  });

  it('answers user from the worker’s own request (Easy Auth principal headers)', () => {
    const headers = { 'x-ms-client-principal': principal, 'x-ms-client-principal-name': 'name', 'x-ms-client-principal-id': 'o-1', 'x-ms-client-principal-idp': 'aad' };
    const { host, real } = pair(init('GET', undefined, headers));
    expect(host.user).toEqual(real.user);
    const anonymous = pair(init('GET'));
    expect(anonymous.host.user).toEqual(anonymous.real.user);
  });
});
