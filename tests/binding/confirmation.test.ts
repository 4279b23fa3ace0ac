import { createHash } from 'node:crypto';
import { isSha256Thumbprint, readConfirmation } from '../../src/binding/confirmation';

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');

describe('cnf (RFC 7800) in the two shapes this service issues', () => {
  it('reads x5t#S256 and jkt, each a base64url SHA-256', () => {
    expect(readConfirmation({ 'x5t#S256': digest('a') })).toEqual({ 'x5t#S256': digest('a') });
    expect(readConfirmation({ jkt: digest('b') })).toEqual({ jkt: digest('b') });
  });

  it('refuses every other shape rather than half understanding it', () => {
    const refused: unknown[] = [
      undefined,
      null,
      'jkt',
      [{ jkt: digest('b') }],
      {},
      { jkt: digest('b'), 'x5t#S256': digest('a') }, // two methods
      { jkt: digest('b'), extra: 1 },
      { jwk: { kty: 'EC' } }, // RFC 7800 allows a key; we never issue one
      { kid: 'abc' },
      { x5t: digest('a') }, // SHA-1 thumbprint member
      { jkt: digest('b').slice(1) }, // 42 characters
      { jkt: `${digest('b')}=` },
      { jkt: digest('b').replace(/.$/, 'B') }, // the last character can only carry 2 bits
      { jkt: `${'+'.repeat(42)}A` }, // base64, not base64url
      { jkt: 42 },
    ];
    for (const cnf of refused) expect([cnf, readConfirmation(cnf)]).toEqual([cnf, undefined]);
  });

  it('knows a SHA-256 thumbprint', () => {
    expect(isSha256Thumbprint(digest('x'))).toBe(true);
    expect(isSha256Thumbprint(createHash('sha384').update('x').digest('base64url'))).toBe(false);
  });
});
