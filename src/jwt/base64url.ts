/**
 * Strict base64url decoding (RFC 7515 §2): only the URL-safe alphabet, no padding, no whitespace,
 * and canonical trailing bits, so one token has exactly one spelling.
 *
 * Buffer's decoder is lenient: it also takes '+' and '/', it stops at '=', it skips other ASCII
 * and Latin-1 characters outside the alphabet, and it reads a character above U+00FF by its low
 * byte ('Ł', U+0141, decodes as 'A'). So '+' and '/' are looked for, a non-ASCII character makes the UTF-8
 * length differ from the string length, and every other character that does not belong shows as
 * missing output: n characters of the alphabet decode to exactly floor(3n/4) bytes, and each
 * skipped one takes at least a byte off. Native scans only: less than half the cost of testing a
 * regular expression over the verify path's two longest strings (tests/jwt/base64url.test.ts
 * holds this equal to the regular-expression definition over random input).
 */
export function decodeBase64Url(segment: string): Buffer | undefined {
  const length = segment.length;
  if (length % 4 === 1 || segment.indexOf('+') !== -1 || segment.indexOf('/') !== -1) return undefined;
  if (Buffer.byteLength(segment, 'utf8') !== length) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.length !== Math.floor((length * 3) / 4)) return undefined;
  // Non-canonical spellings (unused trailing bits set) decode to bytes that re-encode differently.
  const rest = length % 4;
  if (rest !== 0) {
    const value = base64UrlValue(segment.charCodeAt(length - 1));
    const unusedBits = rest === 2 ? 4 : 2;
    if ((value & ((1 << unusedBits) - 1)) !== 0) return undefined;
  }
  return bytes;
}

function base64UrlValue(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // '-' or '_'
}

export function encodeBase64Url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function encodeJsonSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
