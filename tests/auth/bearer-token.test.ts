import { bearerToken } from '../../src/auth/bearer-token';
import { ServiceError } from '../../src/errors';

const JWS = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function refusal(header: string | null | undefined): { status: number; challenge: string; message: string } {
  try {
    bearerToken(header);
  } catch (error: unknown) {
    if (error instanceof ServiceError) return { status: error.status, challenge: String(error.details?.wwwAuthenticate), message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('bearerToken', () => {
  it.each([`Bearer ${JWS}`, `bearer ${JWS}`, `BEARER ${JWS}`, `bEaReR ${JWS}`, ` Bearer ${JWS} `])('reads the token of %j (scheme case-insensitive, surrounding whitespace not part of the value)', (header) => {
    expect(bearerToken(header)).toBe(JWS);
  });

  it.each([undefined, null])('answers a plain challenge, without an error code, when there is no header (%s)', (header) => {
    expect(refusal(header)).toEqual({ status: 401, challenge: 'Bearer realm="kv-jwt"', message: 'A bearer token is required.' });
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['two spaces', `Bearer  ${JWS}`],
    ['a tab', `Bearer\t${JWS}`],
    ['two tokens', `Bearer ${JWS} ${JWS}`],
    ['two tokens with a comma', `Bearer ${JWS}, Bearer ${JWS}`],
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['no space', `Bearer${JWS}`],
    ['another scheme', `DPoP ${JWS}`],
    ['two segments', 'Bearer a.b'],
    ['five segments (JWE)', 'Bearer a.b.c.d.e'],
    ['an empty signature', 'Bearer a.b.'],
    ['base64 padding', 'Bearer a.b.c='],
    ['standard base64', 'Bearer a+b.c/d.e'],
  ])('refuses %s with invalid_token and a fixed description that never echoes the value', (_name, header) => {
    const answer = refusal(header);
    expect(answer).toEqual({ status: 401, challenge: 'Bearer realm="kv-jwt", error="invalid_token", error_description="not a bearer JWT"', message: 'The bearer token is not valid: not a bearer JWT.' });
  });
});
