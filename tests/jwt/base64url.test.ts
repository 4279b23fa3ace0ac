import { decodeBase64Url, encodeBase64Url } from '../../src/jwt/base64url';

describe('strict base64url', () => {
  it('round-trips every length', () => {
    for (let n = 0; n < 40; n += 1) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
    }
  });

  it.each([
    ['standard alphabet +', 'ab+c'],
    ['standard alphabet /', 'ab/c'],
    ['padding', 'YQ=='],
    ['whitespace', 'YW J j'],
    ['impossible length', 'abcde'],
    ['non-canonical trailing bits (2 chars)', 'YR'],
    ['non-canonical trailing bits (3 chars)', 'YWJ'],
    ['non-ascii', 'YWÅj'],
  ])('rejects %s', (_name, segment) => {
    expect(decodeBase64Url(segment)).toBeUndefined();
  });

  it('accepts the canonical spellings', () => {
    expect(decodeBase64Url('YQ')?.toString()).toBe('a');
    expect(decodeBase64Url('YWI')?.toString()).toBe('ab');
  });
});
