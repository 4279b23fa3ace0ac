import { generateKeyPairSync } from 'node:crypto';
import { isCompactJwe, MAX_PROTECTED_SEGMENT, parseCompactJwe } from '../../src/jwe/compact-jwe';
import { craftJwe, withSegment } from '../support/jwe';

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = 'a'.repeat(32);
const HEADER = { alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: KID };
const jwe = (header: Record<string, unknown> = HEADER): string => craftJwe({ header, plaintext: 'a.b.c', publicKey }).token;
const parse = (token: string): ReturnType<typeof parseCompactJwe> => parseCompactJwe(token, 16_384);
const errorOf = (token: string): string | undefined => {
  const parsed = parse(token);
  return 'error' in parsed ? parsed.error : undefined;
};

describe('compact JWE parsing', () => {
  it('tells a JWE (five segments) from a JWS (three) and from anything else', () => {
    expect(isCompactJwe(jwe())).toBe(true);
    for (const other of ['a.b.c', 'a.b.c.d', 'a.b.c.d.e.f', '', 'abc', undefined, 42, ['a.b.c.d.e']]) expect(isCompactJwe(other)).toBe(false);
  });

  it('reads a well-formed nested JWT header: the kid, the enc, the protected segment as sent', () => {
    const token = jwe();
    const parsed = parse(token);
    expect(parsed).toMatchObject({ kid: KID, enc: 'A256GCM', protectedSegment: token.split('.')[0], encryptedKeySegment: token.split('.')[1] });
    expect(errorOf(jwe({ ...HEADER, enc: 'A128GCM' }))).toBeUndefined();
    expect(errorOf(jwe({ ...HEADER, typ: 'JWT' }))).toBeUndefined();
    expect(errorOf(jwe({ ...HEADER, cty: 'jwt' }))).toBeUndefined(); // RFC 7515 §4.1.10: compared case-insensitively
  });

  it.each([
    'RSA1_5', 'RSA-OAEP', 'RSA-OAEP-384', 'RSA-OAEP-512', 'dir', 'A128KW', 'A256KW', 'A256GCMKW',
    'PBES2-HS256+A128KW', 'PBES2-HS512+A256KW', 'ECDH-ES', 'ECDH-ES+A256KW', 'none', 'RS256', '', 42, null,
  ])('refuses alg %p', (alg) => {
    expect(errorOf(jwe({ ...HEADER, alg }))).toBe('unsupported_alg');
  });

  it('refuses a header without alg', () => {
    const { alg: _alg, ...header } = HEADER;
    expect(errorOf(jwe(header))).toBe('unsupported_alg');
  });

  it.each(['A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512', 'A192GCM', 'A256gcm', 'none', '', 7])('refuses enc %p', (enc) => {
    expect(errorOf(jwe({ ...HEADER, enc }))).toBe('unsupported_enc');
  });

  it('refuses crit, compression, and every member that could name a key or belongs to another algorithm', () => {
    expect(errorOf(jwe({ ...HEADER, crit: ['exp'] }))).toBe('unsupported_crit');
    for (const [member, value] of Object.entries({ zip: 'DEF', jku: 'https://evil.example/jwks', jwk: { kty: 'RSA' }, x5u: 'https://evil.example/x5', x5c: ['MII'], p2c: 100_000_000, p2s: 'c2FsdA', epk: { kty: 'EC' }, apu: 'YQ', apv: 'Yg', iv: 'AAAA', tag: 'AAAA', 'x-anything': 1 })) {
      expect([member, errorOf(jwe({ ...HEADER, [member]: value }))]).toEqual([member, 'unsupported_header']);
    }
  });

  it('requires cty JWT (a signed JWT inside), typ JWT when present, and a kid of the key shape', () => {
    const { cty: _cty, ...noCty } = HEADER;
    expect(errorOf(jwe(noCty))).toBe('wrong_content_type');
    expect(errorOf(jwe({ ...HEADER, cty: 'json' }))).toBe('wrong_content_type');
    expect(errorOf(jwe({ ...HEADER, typ: 'JOSE' }))).toBe('wrong_type');
    const { kid: _kid, ...noKid } = HEADER;
    expect(errorOf(jwe(noKid))).toBe('unknown_key');
    for (const kid of ['', '../../etc/passwd', 'x'.repeat(129), 7]) expect(errorOf(jwe({ ...HEADER, kid }))).toBe('unknown_key');
  });

  it('refuses what is not strictly five base64url segments around a JSON object header', () => {
    const token = jwe();
    expect(errorOf(withSegment(token, 0, 'bm90IGpzb24'))).toBe('malformed'); // "not json"
    expect(errorOf(withSegment(token, 0, Buffer.from('["alg"]').toString('base64url')))).toBe('malformed');
    expect(errorOf(withSegment(token, 2, `${token.split('.')[2]}=`))).toBe('malformed');
    expect(errorOf(withSegment(token, 3, `${token.split('.')[3]}+`))).toBe('malformed');
    expect(errorOf(withSegment(token, 1, ''))).toBe('malformed'); // RSA-OAEP-256 always carries an encrypted key
  });

  it('refuses an IV that is not 96 bits and a tag that is not 128 bits', () => {
    const token = jwe();
    for (const length of [0, 8, 11, 13, 16]) expect([length, errorOf(withSegment(token, 2, Buffer.alloc(length, 1).toString('base64url')))]).toEqual([length, 'malformed']);
    for (const length of [0, 4, 12, 15, 17]) expect([length, errorOf(withSegment(token, 4, Buffer.alloc(length, 1).toString('base64url')))]).toEqual([length, 'malformed']);
  });

  it('refuses oversized tokens and oversized headers before decoding them', () => {
    expect(parseCompactJwe(jwe(), 100)).toEqual({ error: 'token_too_large' });
    expect(errorOf(jwe({ ...HEADER, typ: 'JWT', kid: KID, cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP-256', pad: 'x'.repeat(MAX_PROTECTED_SEGMENT) }))).toBe('token_too_large');
  });
});
