import { invalidToken, missingToken, type InvalidTokenReason } from '../../src/auth/challenge';
import { ServiceError } from '../../src/errors';

/** The RFC 6750 §3 challenges of a 401: fixed sentences, nothing from the token. */
describe('missingToken', () => {
  it('is a 401 with a plain Bearer challenge: no error code when no credentials were sent (RFC 6750 §3.1)', () => {
    const error = missingToken();
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, message: 'A bearer token is required.', details: { wwwAuthenticate: 'Bearer realm="kv-jwt"' } });
  });
});

describe('invalidToken', () => {
  it.each<InvalidTokenReason>(['not a bearer JWT', 'expired', 'wrong audience', 'the client principal headers name another caller'])(
    'is a 401 invalid_token whose description is the fixed reason %p',
    (reason) => {
      const error = invalidToken(reason);
      expect(error).toMatchObject({ code: 'unauthorized', status: 401, message: `The bearer token is not valid: ${reason}.` });
      expect(error.details).toEqual({ wwwAuthenticate: `Bearer realm="kv-jwt", error="invalid_token", error_description="${reason}"` });
    },
  );
});
