import { MAX_HTTP_URI_CHARS, normalizeHttpUri } from '../../src/binding/http-uri';

describe('htu normalization (RFC 9449 §4.3 step 9, RFC 3986 §6.2.2 and §6.2.3)', () => {
  it('ignores query and fragment and normalizes case, default port, dot segments and percent-encodings', () => {
    const same = [
      'https://api.example/orders/42',
      'https://api.example/orders/42?x=1#frag',
      'HTTPS://API.Example:443/orders/42',
      'https://api.example/a/../orders/./42',
      'https://api.example/%6Frders/42', // an unreserved character, encoded
    ];
    for (const uri of same) expect([uri, normalizeHttpUri(uri)]).toEqual([uri, 'https://api.example/orders/42']);
    expect(normalizeHttpUri('https://api.example')).toBe('https://api.example/');
    expect(normalizeHttpUri('http://api.example:80/x')).toBe('http://api.example/x');
    expect(normalizeHttpUri('https://api.example/a%2fb')).toBe('https://api.example/a%2Fb');
    expect(normalizeHttpUri('https://api.example:8443/x')).toBe('https://api.example:8443/x');
  });

  it('keeps what makes URIs different apart', () => {
    expect(normalizeHttpUri('http://api.example/x')).not.toBe(normalizeHttpUri('https://api.example/x'));
    expect(normalizeHttpUri('https://api.example/x')).not.toBe(normalizeHttpUri('https://api.example/x/'));
    expect(normalizeHttpUri('https://api.example/X')).not.toBe(normalizeHttpUri('https://api.example/x'));
    expect(normalizeHttpUri('https://api.example/a%2Fb')).not.toBe(normalizeHttpUri('https://api.example/a/b'));
  });

  it('refuses what is no http(s) request URI', () => {
    for (const uri of ['', '/relative/path', 'ftp://api.example/x', 'javascript:alert(1)', 'https://user:pass@api.example/x', 'https://', 'x'.repeat(MAX_HTTP_URI_CHARS + 1)]) {
      expect([uri.slice(0, 30), normalizeHttpUri(uri)]).toEqual([uri.slice(0, 30), undefined]);
    }
  });
});
