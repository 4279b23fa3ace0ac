import { generateKeyPairSync } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { sealToken } from '../../src/jwe/seal-token';

/**
 * sealToken: a nested JWT (RFC 7519 §5.2) — the signed JWT as the plaintext of a compact JWE to the
 * recipient's public key, RSA-OAEP-256 and A256GCM, `cty: "JWT"`, `kid` naming the recipient's key.
 * Opened here with jose and the recipient's private key, independently of the service's opener.
 */
const recipient = generateKeyPairSync('rsa', { modulusLength: 2048 });
const SIGNED = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('sealToken', () => {
  it('makes a five-segment JWE whose protected header is exactly alg, enc, cty and the recipient\'s kid', async () => {
    const sealed = await sealToken(SIGNED, { kid: 'partner-key-1', key: recipient.publicKey });
    expect(sealed.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(sealed)).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'partner-key-1' });
  });

  it('carries the signed JWT, byte for byte, for the holder of the private key only', async () => {
    const sealed = await sealToken(SIGNED, { kid: 'partner-key-1', key: recipient.publicKey });
    const { plaintext } = await compactDecrypt(sealed, recipient.privateKey, { keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(Buffer.from(plaintext).toString('ascii')).toBe(SIGNED);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expect(compactDecrypt(sealed, other.privateKey)).rejects.toThrow();
  });

  it('uses a fresh content key and IV for every token, so equal tokens do not look equal', async () => {
    const [one, two] = [await sealToken(SIGNED, { kid: 'k', key: recipient.publicKey }), await sealToken(SIGNED, { kid: 'k', key: recipient.publicKey })];
    const segments = (token: string): string[] => token.split('.');
    for (const index of [1, 2, 3]) expect(segments(one)[index]).not.toBe(segments(two)[index]);
  });
});
