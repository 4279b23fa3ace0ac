import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 token: what undici accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request headers a function sees on the embedded host: `get` and `has` are answered from the
 * headers Node already parsed (names lower-cased, repeats joined with ", " — the record the real
 * Headers would be built from), because building undici's Headers on every request costs more than
 * the lookups it serves. Anything else (iteration, set, append, delete, a name undici would refuse)
 * goes to a real Headers built from the same record on first use, and from then on every call does,
 * so reads after a write see the write. tests/devhost/host-headers.test.ts compares the two.
 */
export class HostHeaders implements Headers {
  readonly #raw: IncomingHttpHeaders;
  #real: Headers | undefined;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    if (this.#real !== undefined || typeof name !== 'string' || !HEADER_NAME.test(name)) return this.#headers().get(name);
    const key = name.toLowerCase();
    // Own properties only: Node's record is a plain object, and "constructor" is a valid header name.
    const value = Object.prototype.hasOwnProperty.call(this.#raw, key) ? this.#raw[key] : undefined;
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }

  has(name: string): boolean {
    if (this.#real !== undefined || typeof name !== 'string' || !HEADER_NAME.test(name)) return this.#headers().has(name);
    const key = name.toLowerCase();
    return Object.prototype.hasOwnProperty.call(this.#raw, key) && this.#raw[key] !== undefined;
  }

  set(name: string, value: string): void {
    this.#headers().set(name, value);
  }

  append(name: string, value: string): void {
    this.#headers().append(name, value);
  }

  delete(name: string): void {
    this.#headers().delete(name);
  }

  getSetCookie(): string[] {
    return this.#headers().getSetCookie();
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#headers().forEach((value, key) => callback.call(thisArg, value, key, this));
  }

  entries(): ReturnType<Headers['entries']> {
    return this.#headers().entries();
  }

  keys(): ReturnType<Headers['keys']> {
    return this.#headers().keys();
  }

  values(): ReturnType<Headers['values']> {
    return this.#headers().values();
  }

  [Symbol.iterator](): ReturnType<Headers['entries']> {
    return this.#headers()[Symbol.iterator]();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  #headers(): Headers {
    this.#real ??= new Headers(joinedHeaders(this.#raw));
    return this.#real;
  }
}

/** The record form the worker's HttpRequest and Headers take: repeated values (set-cookie) joined with ", ". */
export function joinedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) joined[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return joined;
}
