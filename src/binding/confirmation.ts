/**
 * The `cnf` claim (RFC 7800) in the only two shapes this service issues and accepts: the SHA-256
 * thumbprint of a client certificate (RFC 8705 §3.1) or of a DPoP public key (RFC 9449 §6.1).
 */
export type Confirmation = { 'x5t#S256': string } | { jkt: string };

/** base64url without padding of 32 bytes: 43 characters, the last one carrying 2 bits. */
const SHA256_BASE64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A base64url SHA-256 digest, as both thumbprints are. */
export function isSha256Thumbprint(value: unknown): value is string {
  return typeof value === 'string' && SHA256_BASE64URL.test(value);
}

/**
 * The confirmation a `cnf` value expresses, or undefined for anything else: an object with exactly
 * one member, `x5t#S256` or `jkt`, holding a SHA-256 thumbprint. Anything more (other members, a
 * key, a second method) is refused rather than half understood.
 */
export function readConfirmation(cnf: unknown): Confirmation | undefined {
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return undefined;
  const names = Object.keys(cnf);
  if (names.length !== 1) return undefined;
  const value = (cnf as Record<string, unknown>)[names[0]];
  if (!isSha256Thumbprint(value)) return undefined;
  if (names[0] === 'x5t#S256') return { 'x5t#S256': value };
  if (names[0] === 'jkt') return { jkt: value };
  return undefined;
}

export function bindingMethod(confirmation: Confirmation): 'x5t#S256' | 'jkt' {
  return 'jkt' in confirmation ? 'jkt' : 'x5t#S256';
}
