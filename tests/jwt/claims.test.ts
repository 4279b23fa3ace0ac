import { ServiceError } from '../../src/errors';
import { checkCallerClaims, type ClaimRules } from '../../src/jwt/claims';

const rules: ClaimRules = { audiences: ['api://orders'], allowedClaims: ['role'], maxClaimsBytes: 200 };

function refusal(claims: unknown, r: ClaimRules = rules): ServiceError {
  try {
    checkCallerClaims(claims, r);
  } catch (error: unknown) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('checkCallerClaims', () => {
  it('accepts allowed claims and reads aud and nbf', () => {
    expect(checkCallerClaims({ aud: 'api://orders', sub: 'alice', role: 'reader', nbf: 5 }, rules)).toMatchObject({
      audiences: ['api://orders'],
      nbf: 5,
    });
  });

  it.each(['iss', 'iat', 'exp', 'jti'])('refuses the server-owned claim %s', (name) => {
    const error = refusal({ aud: 'api://orders', [name]: 1 });
    expect(error.code).toBe('reserved_claim');
    expect(error.status).toBe(400);
  });

  it('refuses cnf even to a caller allowed any claim: only the binding checks set it (src/binding/sign-binding.ts)', () => {
    const error = refusal({ aud: 'api://orders', cnf: { jkt: 'anything' } }, { ...rules, allowedClaims: '*' });
    expect([error.code, error.status, error.message]).toEqual(['reserved_claim', 400, 'The "cnf" claim is set by the service and can not be supplied.']);
  });

  it('refuses an audience the caller may not request (403)', () => {
    const error = refusal({ aud: ['api://orders', 'api://payroll'] });
    expect(error.code).toBe('audience_not_allowed');
    expect(error.status).toBe(403);
    expect(error.message).not.toContain('payroll');
  });

  it('refuses claim names outside the caller policy, allows any with *', () => {
    expect(refusal({ aud: 'api://orders', admin: true }).code).toBe('claim_not_allowed');
    expect(checkCallerClaims({ aud: 'api://orders', admin: true }, { ...rules, allowedClaims: '*' }).audiences).toEqual(['api://orders']);
  });

  it.each([
    ['not an object', 'claims'],
    ['an array', []],
    ['null', null],
    ['no aud', { sub: 'a' }],
    ['an empty aud list', { aud: [] }],
    ['a numeric aud', { aud: 7 }],
    ['an empty sub', { aud: 'api://orders', sub: '' }],
    ['a fractional nbf', { aud: 'api://orders', nbf: 1.5 }],
    ['a string nbf', { aud: 'api://orders', nbf: '1' }],
    ['claims over the size limit', { aud: 'api://orders', role: 'x'.repeat(300) }],
  ])('refuses %s with 400 invalid_claims', (_name, claims) => {
    const error = refusal(claims);
    expect(error.code).toBe('invalid_claims');
    expect(error.status).toBe(400);
  });
});
