/**
 * What must never appear in a log line: a JWT (three base64url segments starting with a JSON
 * header), PEM key material, a private JWK member, a bearer header or an access token field.
 */
const LEAKS: Array<[string, RegExp]> = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ['PEM key material', /-----BEGIN [A-Z ]*(PRIVATE KEY|SECRET)-----/],
  ['a private JWK member', /"(d|p|q|dp|dq|qi|k)"\s*:\s*"[A-Za-z0-9_-]{16,}"/],
  ['an Authorization header', /Bearer\s+[A-Za-z0-9_-]{20,}/i],
  ['an access token field', /access_token/i],
];

/** Returns one message per leaking line (the line itself redacted to its start). */
export function findSecretLeaks(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    for (const [what, pattern] of LEAKS) {
      if (pattern.test(line)) found.push(`${what} in a log line starting "${line.slice(0, 40).replace(/eyJ.*/, 'eyJ…')}"`);
    }
  }
  return found;
}
