import { createHash, X509Certificate } from 'node:crypto';

/** A client certificate is a few KB; anything larger is refused before it is decoded. */
export const MAX_CERTIFICATE_CHARS = 16 * 1024;

export type CertificateProblem = 'too_large' | 'malformed';
export type CertificateThumbprint = { thumbprint: string } | { problem: CertificateProblem };

const PEM_BLOCK = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]{3})?$/;

/** Standard base64 (padding optional), strictly: it must re-encode to itself, or it is not one value. */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length === 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : undefined;
}

/** The DER bytes of exactly one certificate: PEM (one block) or base64 DER, as App Service's X-ARR-ClientCert carries it. */
function derOf(input: string): Buffer | undefined {
  const trimmed = input.trim();
  const pem = PEM_BLOCK.exec(trimmed);
  return decodeBase64((pem ? pem[1] : trimmed).replace(/\s+/g, ''));
}

/**
 * RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of the certificate's DER encoding. The input is
 * attacker-controlled (forwarded from a TLS front end): size first, then exactly one base64 value.
 * With `parse` (binding a token at sign) it must be one certificate node:crypto parses, whose DER is
 * exactly the bytes given (no trailing data). Without (checking a bound token) the bytes only have
 * to hash to the bound thumbprint: SHA-256 makes any other input a mismatch, and parsing would cost
 * twenty times the hash on every call (bench/binding.ts). Who issued the certificate does not
 * matter here: the TLS handshake proved the client holds its key, and the token names this very
 * certificate.
 */
export function certificateThumbprint(input: string, options: { parse: boolean } = { parse: true }): CertificateThumbprint {
  if (input.length > MAX_CERTIFICATE_CHARS) return { problem: 'too_large' };
  const der = derOf(input);
  if (!der) return { problem: 'malformed' };
  if (options.parse) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch {
      return { problem: 'malformed' };
    }
    if (!certificate.raw.equals(der)) return { problem: 'malformed' };
  }
  return { thumbprint: createHash('sha256').update(der).digest('base64url') };
}
