/** What the host needs from a request's URL: the absolute form, the path it routes on, and the query. */
export interface RequestUrl {
  href: string;
  pathname: string;
  /** One value per name, the last one, as the host's query dictionary gives. */
  query: Readonly<Record<string, string>>;
}

/**
 * Targets whose URL form is themselves: segments of unreserved characters (RFC 3986), none empty,
 * "." or "..", and no query — what clients send nearly always. WHATWG URL parsing leaves such a
 * path exactly as it is, so it is not parsed again for every request.
 */
const PLAIN_TARGET = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({});
/** Scheme, userinfo, host and port as URL serialises them, by Host header (attacker-chosen: bounded). */
const prefixes = new Map<string, string>();
const MAX_PREFIXES = 64;

function prefixFor(host: string): string {
  let prefix = prefixes.get(host);
  if (prefix === undefined) {
    prefix = new URL('/', `http://${host}`).href.slice(0, -1);
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear();
    prefixes.set(host, prefix);
  }
  return prefix;
}

/** The request's URL as `new URL(target, 'http://' + host)` gives it; throws TypeError when that would. */
export function requestUrl(target: string, host: string): RequestUrl {
  if (PLAIN_TARGET.test(target)) return { href: prefixFor(host) + target, pathname: target, query: NO_QUERY };
  const url = new URL(target, `http://${host}`);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  return { href: url.href, pathname: url.pathname, query };
}
