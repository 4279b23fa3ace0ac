import { loopbackRefusal } from '../../src/http/loopback';

/** AUTH_MODE=none answers the developer's own machine only: loopback Host, loopback Origin or none. */
const HOST_REFUSED = 'With AUTH_MODE=none only requests to a loopback host (127.0.0.1, localhost, [::1]) are answered.';
const ORIGIN_REFUSED = 'With AUTH_MODE=none cross-origin requests are refused.';

describe('loopbackRefusal', () => {
  it.each(['127.0.0.1', '127.0.0.1:7071', 'localhost', 'LOCALHOST:7071', '[::1]', '[::1]:7071', ' localhost:7071 '])('answers Host %p', (host) => {
    expect(loopbackRefusal(host, undefined)).toBeUndefined();
  });

  it.each([undefined, null, '', 'attacker.example', 'attacker.example:7071', '127.0.0.1.nip.io', 'localhost.attacker.example', '0.0.0.0:7071', '192.168.1.10', '[::2]:7071', '[::1'])(
    'refuses Host %p: a DNS-rebinding page reaches 127.0.0.1 under its own name',
    (host) => {
      expect(loopbackRefusal(host, undefined)).toBe(HOST_REFUSED);
    },
  );

  it.each(['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:7071'])('answers a loopback Origin %p', (origin) => {
    expect(loopbackRefusal('localhost:7071', origin)).toBeUndefined();
  });

  it.each(['https://attacker.example', 'null', '', 'file://localhost/x', 'ws://localhost:7071', 'chrome-extension://localhost', 'chrome-extension://abc', 'http://localhost.attacker.example', 'not an origin'])(
    'refuses Origin %p: a page the developer visits must not act through the browser',
    (origin) => {
      expect(loopbackRefusal('localhost:7071', origin)).toBe(ORIGIN_REFUSED);
    },
  );

  it('answers a request without Origin (curl, the Logic App designer, a server)', () => {
    expect(loopbackRefusal('127.0.0.1:7071', null)).toBeUndefined();
    expect(loopbackRefusal('127.0.0.1:7071', undefined)).toBeUndefined();
  });

  it('judges the Host first', () => {
    expect(loopbackRefusal('attacker.example', 'https://attacker.example')).toBe(HOST_REFUSED);
  });
});
