import { requestUrl } from '../../devhost/request-url';

/** The host's URL shortcut must give exactly what `new URL(target, 'http://' + host)` gives. */
function viaUrl(target: string, host: string): { href: string; pathname: string; query: Record<string, string> } {
  const url = new URL(target, `http://${host}`);
  return { href: url.href, pathname: url.pathname, query: Object.fromEntries(url.searchParams) };
}

const targets = [
  '/',
  '/api/verify',
  '/api/verify/',
  '/API/Echo/abc',
  '/api/.well-known/jwks.json',
  '/api/./verify',
  '/api/../verify',
  '/api//verify',
  '/api/a%20b',
  '/api/ä',
  '/api/a b',
  '/api/x?y=1&y=2&z',
  '/api/x?',
  '/api/x#frag',
  '/api\\verify',
  '/api/~user/a-b_c.d',
  '//evil.example/x',
  'http://other.example/api/verify',
];
const hosts = ['127.0.0.1:7071', 'LOCALHOST:7071', 'localhost:80', 'user@host:7071', '127.1:7071', 'example.com', '[::1]:7071'];

describe('request URLs on the embedded host', () => {
  it.each(hosts)('match new URL() for every target with host %s', (host) => {
    for (const target of targets) expect({ target, ...requestUrl(target, host) }).toEqual({ target, ...viaUrl(target, host) });
  });

  it('fails where new URL() fails, so the host can answer 400', () => {
    expect(() => requestUrl('/api/verify', 'bad host')).toThrow('Invalid URL');
    expect(() => requestUrl('/api/x?y=1', 'bad host')).toThrow('Invalid URL');
  });

  it('keeps its per-host cache bounded under many Host headers', () => {
    for (let i = 0; i < 1000; i += 1) expect(requestUrl('/api/verify', `host-${i}.example`).href).toBe(`http://host-${i}.example/api/verify`);
  });
});
