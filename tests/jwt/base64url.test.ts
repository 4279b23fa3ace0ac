import fc from 'fast-check';
import { decodeBase64Url, encodeBase64Url } from '../../src/jwt/base64url';

/** The definition the decoder must keep: the URL-safe alphabet only, no impossible length, canonical trailing bits. */
function referenceDecode(segment: string): Buffer | undefined {
  if (segment.length % 4 === 1 || !/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

/** Alphabet characters, the standard alphabet and padding, whitespace, Latin-1, and characters whose low byte is in the alphabet. */
const CHARACTERS = [...'ABCXYZabcxyz0189-_', '+', '/', '=', ' ', '\n', '.', '\u00c5', '\u00ff', '\u0141', '\u412d', '\u015f', '\u{1F600}'];

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
    ['a character whose low byte is in the alphabet (U+0141 reads as A)', 'YW\u0141j'],
    ['a character whose low byte is "-"', 'YW\u412dj'],
    ['an invalid character in place of a valid one, same length', 'YW!j'],
  ])('rejects %s', (_name, segment) => {
    expect(decodeBase64Url(segment)).toBeUndefined();
  });

  it('accepts the canonical spellings', () => {
    expect(decodeBase64Url('YQ')?.toString()).toBe('a');
    expect(decodeBase64Url('YWI')?.toString()).toBe('ab');
  });

  it('accepts and rejects exactly what the reference definition does (random segments)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CHARACTERS), { maxLength: 24 }).map((chars) => chars.join('')), (segment) => {
        expect(decodeBase64Url(segment)).toEqual(referenceDecode(segment));
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts every canonical encoding (random bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeBase64Url(encodeBase64Url(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
  });
});
