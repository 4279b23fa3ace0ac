import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { certificateThumbprint, MAX_CERTIFICATE_CHARS } from '../../src/binding/certificate-thumbprint';
import { issuedCertificate, selfSignedCertificate, testCa, type ClientCertificate } from '../support/binding-client';

describe('certificateThumbprint (RFC 8705 x5t#S256)', () => {
  let selfSigned: ClientCertificate;
  let issued: ClientCertificate;
  beforeAll(async () => {
    selfSigned = await selfSignedCertificate();
    issued = await issuedCertificate(await testCa());
  });

  it('is the base64url SHA-256 of the DER, the same from base64 DER (X-ARR-ClientCert) and from PEM', () => {
    for (const certificate of [selfSigned, issued]) {
      expect(certificateThumbprint(certificate.der)).toEqual({ thumbprint: certificate.x5t });
      expect(certificateThumbprint(certificate.pem)).toEqual({ thumbprint: certificate.x5t });
      expect(certificateThumbprint(certificate.pem.replace(/\n/g, '\r\n'))).toEqual({ thumbprint: certificate.x5t });
      expect(certificateThumbprint(`  ${certificate.der}\n`)).toEqual({ thumbprint: certificate.x5t });
    }
    expect(selfSigned.x5t).not.toBe(issued.x5t);
  });

  it('refuses what is not exactly one certificate', () => {
    const der = Buffer.from(selfSigned.der, 'base64');
    const malformed = [
      '',
      'not a certificate',
      Buffer.from('hello world').toString('base64'),
      der.subarray(0, der.length - 1).toString('base64'), // truncated
      Buffer.concat([der, Buffer.from([0, 0, 0])]).toString('base64'), // trailing data node:crypto would ignore
      `${selfSigned.pem}\n${issued.pem}`, // a chain: which one did the client hold?
      selfSigned.der.replace(/=+$/, '').slice(0, -1) + '!', // not base64
      `${selfSigned.der}AAAA`, // another value glued on
      selfSigned.pem.replace('CERTIFICATE', 'PRIVATE KEY'),
      Buffer.from(selfSigned.der, 'base64').toString('base64url'), // base64url is not what App Service sends
    ];
    for (const input of malformed) expect([input.slice(0, 40), certificateThumbprint(input)]).toEqual([input.slice(0, 40), { problem: 'malformed' }]);
  });

  it('when checking a bound token, only hashes the bytes: anything but the bound certificate is a mismatch anyway', () => {
    expect(certificateThumbprint(selfSigned.der, { parse: false })).toEqual({ thumbprint: selfSigned.x5t });
    expect(certificateThumbprint(issued.pem, { parse: false })).toEqual({ thumbprint: issued.x5t });
    const notACertificate = Buffer.from('hello world').toString('base64');
    expect(certificateThumbprint(notACertificate, { parse: false })).toEqual({ thumbprint: createHash('sha256').update('hello world').digest('base64url') });
    expect(certificateThumbprint('not base64!', { parse: false })).toEqual({ problem: 'malformed' });
    expect(certificateThumbprint('A'.repeat(MAX_CERTIFICATE_CHARS + 1), { parse: false })).toEqual({ problem: 'too_large' });
  });

  it('refuses an oversized value before decoding it', () => {
    expect(certificateThumbprint('A'.repeat(MAX_CERTIFICATE_CHARS + 1))).toEqual({ problem: 'too_large' });
    expect(certificateThumbprint(`${selfSigned.der}${' '.repeat(MAX_CERTIFICATE_CHARS)}`)).toEqual({ problem: 'too_large' });
  });

  it('never throws, whatever the string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.constant(selfSigned.pem).map((pem) => pem.slice(0, 200))), (input) => {
        const result = certificateThumbprint(input);
        return 'thumbprint' in result || 'problem' in result;
      }),
      { numRuns: 500 },
    );
  });
});
