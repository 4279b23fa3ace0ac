const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url decoding (RFC 7515 §2): only the URL-safe alphabet, no padding, no whitespace,
 * and canonical trailing bits, so one token has exactly one spelling. Buffer's own decoder is
 * lenient (it accepts '+', '/', '=' and garbage bits), hence the checks.
 */
export function decodeBase64Url(segment: string): Buffer | undefined {
  if (segment.length % 4 === 1 || !BASE64URL.test(segment)) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  // Non-canonical spellings (unused trailing bits set) decode to bytes that re-encode differently.
  const rest = segment.length % 4;
  if (rest !== 0) {
    const last = segment.charCodeAt(segment.length - 1);
    const value = base64UrlValue(last);
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
