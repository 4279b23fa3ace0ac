import { HttpRequest, type HttpRequestParams, type HttpRequestUser } from '@azure/functions';
import type { Blob } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { ReadableStream } from 'node:stream/web';
import { HostHeaders, joinedHeaders } from './host-headers';

export interface HostRequestInit {
  method: string;
  url: string;
  /** As Node parsed them: names lower-cased, repeats joined (set-cookie an array). */
  headers: IncomingHttpHeaders;
  /** One value per name, the last one, as the host's query dictionary gives. */
  query: Readonly<Record<string, string>>;
  params: HttpRequestParams;
  /** The bytes the host already read; GET and HEAD drop theirs, as the worker does. */
  body?: Buffer;
}

const utf8 = new TextDecoder(); // WHATWG decoding, as undici's text(): BOM stripped, U+FFFD for bad bytes
const bodyless = (method: string): boolean => method === 'GET' || method === 'HEAD';

/**
 * What an HTTP function receives from the embedded host. The worker's HttpRequest wraps an undici
 * Request, and building one (URL, headers, a web ReadableStream, an AbortSignal) and draining its
 * body cost ≈ 35 µs per call — more than verifying an RS256 token. The members the handlers use on
 * every request (method, url, headers, query, params, arrayBuffer, text, json) are served here from
 * the bytes the host has already read, with undici's semantics (a body reads once, then "Body is
 * unusable"); everything else (user, the body stream, blob, formData, clone of a read body) is
 * answered by a real HttpRequest built on first use, so it behaves exactly as under `func start`.
 * tests/devhost/host-request.test.ts holds the two side by side.
 */
export class HostHttpRequest implements HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly params: HttpRequestParams;
  readonly #init: HostRequestInit;
  readonly #bytes: Buffer | undefined;
  #headers: HostHeaders | undefined;
  #query: URLSearchParams | undefined;
  #real: HttpRequest | undefined;
  /** The body was read through this object's own fast path. */
  #consumed = false;
  /** The real request's body was handed out (stream, blob, form): from then on it owns the body. */
  #delegated = false;

  constructor(init: HostRequestInit) {
    this.#init = init;
    this.method = init.method;
    this.url = init.url;
    this.params = init.params;
    this.#bytes = bodyless(init.method) ? undefined : init.body;
  }

  get headers(): Headers {
    this.#headers ??= new HostHeaders(this.#init.headers);
    return this.#headers;
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#init.query);
    return this.#query;
  }

  get user(): HttpRequestUser | null {
    return this.#realRequest().user;
  }

  get body(): ReadableStream | null {
    this.#delegated = true;
    return this.#realRequest().body;
  }

  get bodyUsed(): boolean {
    return this.#consumed || (this.#real?.bodyUsed ?? false);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#delegated) return this.#realRequest().arrayBuffer();
    const bytes = this.#take();
    // A copy, as undici gives: the host's buffer may be a slice of Node's shared pool.
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  }

  async text(): Promise<string> {
    if (this.#delegated) return this.#realRequest().text();
    return utf8.decode(this.#take());
  }

  /**
   * text() without the wait: the host has read the bytes already .
   * The same rules — it reads the body once — and undefined once a stream, blob or form was handed
   * out, since the real request owns the body then.
   */
  textNow(): string | undefined {
    if (this.#delegated) return undefined;
    return utf8.decode(this.#take());
  }

  async json(): Promise<unknown> {
    if (this.#delegated) return this.#realRequest().json();
    return JSON.parse(utf8.decode(this.#take())) as unknown;
  }

  async blob(): Promise<Blob> {
    this.#delegated = true;
    return this.#realRequest().blob();
  }

  async formData(): Promise<FormData> {
    this.#delegated = true;
    return this.#realRequest().formData();
  }

  clone(): HttpRequest {
    if (this.#delegated || this.#consumed) return this.#realRequest().clone();
    return new HostHttpRequest(this.#init);
  }

  #take(): Buffer {
    if (this.#consumed) throw new TypeError('Body is unusable: Body has already been read');
    if (this.#bytes === undefined) return Buffer.alloc(0); // a null body reads as empty and stays unused
    this.#consumed = true;
    return this.#bytes;
  }

  /**
   * The worker's own HttpRequest over the same input. If the body was already read here, the real
   * one starts reading too, so its stream, bodyUsed, clone and blob answer "used" exactly as undici does.
   */
  #realRequest(): HttpRequest {
    if (this.#real === undefined) {
      const { method, url, headers, query, params } = this.#init;
      this.#real = new HttpRequest({ method, url, headers: joinedHeaders(headers), query, params, body: this.#bytes ? { bytes: this.#bytes } : undefined });
      if (this.#consumed) this.#real.arrayBuffer().catch(() => undefined);
    }
    return this.#real;
  }
}
