import type { IncomingHttpHeaders } from 'node:http';
import { HostHeaders, joinedHeaders } from '../../devhost/host-headers';

/** The embedded host's request headers against undici's Headers built from the same record. */
const raw: IncomingHttpHeaders = {
  host: '127.0.0.1:7071',
  'content-type': 'application/json',
  authorization: 'Bearer abc',
  'x-forwarded-for': '10.0.0.1, 10.0.0.2',
  'set-cookie': ['a=1', 'b=2'],
  'x-empty': '',
};

function pair(): { host: Headers; real: Headers } {
  return { host: new HostHeaders(raw), real: new Headers(joinedHeaders(raw)) };
}

function thrown(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error: unknown) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

describe('HostHeaders reads like the worker’s Headers', () => {
  it.each(['Content-Type', 'content-type', 'AUTHORIZATION', 'x-forwarded-for', 'set-cookie', 'x-empty', 'missing', 'host', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])('get/has(%s)', (name) => {
    const { host, real } = pair();
    expect(host.get(name)).toBe(real.get(name));
    expect(host.has(name)).toBe(real.has(name));
  });

  it('refuses the names undici refuses, with the same error', () => {
    const { host, real } = pair();
    for (const name of ['a b', 'ä', '', 'x:y']) {
      expect(thrown(() => host.get(name))).toBe(thrown(() => real.get(name)));
      expect(thrown(() => host.has(name))).toBe(thrown(() => real.has(name)));
    }
  });

  it('iterates in undici’s order and form', () => {
    const { host, real } = pair();
    expect([...host]).toEqual([...real]);
    expect([...host.entries()]).toEqual([...real.entries()]);
    expect([...host.keys()]).toEqual([...real.keys()]);
    expect([...host.values()]).toEqual([...real.values()]);
    expect(host.getSetCookie()).toEqual(real.getSetCookie());
    const seen: Array<[string, string]> = [];
    const self: unknown[] = [];
    host.forEach(function (this: unknown, value, key, parent) {
      seen.push([key, value]);
      self.push(this, parent);
    }, 'this-arg');
    expect(seen).toEqual([...real.entries()]);
    expect(self[0]).toBe('this-arg');
    expect(self[1]).toBe(host);
    expect(Object.prototype.toString.call(host)).toBe('[object Headers]');
  });

  it('sees its own writes, and validates them as undici does', () => {
    const { host, real } = pair();
    for (const headers of [host, real]) {
      headers.set('Content-Type', 'text/plain');
      headers.append('x-forwarded-for', '10.0.0.3');
      headers.delete('authorization');
    }
    expect([...host]).toEqual([...real]);
    for (const name of ['content-type', 'authorization', 'x-forwarded-for']) expect(host.get(name)).toBe(real.get(name));
    expect(thrown(() => host.set('x', 'a\nb'))).toBe(thrown(() => real.set('x', 'a\nb')));
  });

  it('does not change the record Node parsed', () => {
    const copy = { ...raw };
    const host = new HostHeaders(copy);
    host.set('host', 'elsewhere');
    expect(copy).toEqual(raw);
  });
});
