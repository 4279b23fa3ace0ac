/** A request URL is short; a longer `htu` is refused before it is parsed. */
export const MAX_HTTP_URI_CHARS = 4096;

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** RFC 3986 §6.2.2.1 and §6.2.2.2: upper-case hex in percent-encodings, unreserved characters decoded. */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/**
 * An http(s) URI as RFC 9449 §4.3 compares `htu`: without query and fragment, after syntax-based
 * and scheme-based normalization (RFC 3986 §6.2.2, §6.2.3): lower-case scheme and host, no default
 * port, an empty path as "/", dot segments removed (the WHATWG parser does these), percent-encodings
 * normalized. Undefined for anything else, including a URI with user information, which no request
 * URI of ours carries.
 */
export function normalizeHttpUri(raw: string): string | undefined {
  if (raw.length > MAX_HTTP_URI_CHARS) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}
