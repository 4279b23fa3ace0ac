import { parseCallerPolicy } from '../../src/config/caller-policy';
import { loadConfig } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';
import { configErrorOf } from '../support/config';

/**
 * CALLER_POLICY: what each caller (by Entra object id) may do. The first cases read it through
 * loadConfig, as the app does; the rest call parseCallerPolicy directly.
 */
const OID = '11111111-2222-3333-4444-555555555555';
const local = (env: Record<string, string> = {}) => loadConfig({ AUTH_MODE: 'none', ...env });

const configError = configErrorOf;

/** The message of the ConfigError that parsing `policy` stops with. */
function refusal(policy: unknown): string {
  try {
    parseCallerPolicy(typeof policy === 'string' ? policy : JSON.stringify(policy));
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('CALLER_POLICY through loadConfig', () => {
  it('parses the caller policy', () => {
    const oid = '11111111-2222-3333-4444-555555555555';
    const config = local({
      CALLER_POLICY: JSON.stringify({ [oid]: { operations: ['sign', 'verify'], audiences: ['api://local-dev'], maxTtl: 'PT5M', claims: ['role'] } }),
    });
    expect(config.auth.callerPolicy.get(oid)).toEqual({ operations: ['sign', 'verify'], audiences: ['api://local-dev'], verifyAudiences: ['api://local-dev'], maxTtlMs: 300_000, claims: ['role'] });
    expect(configError({ CALLER_POLICY: JSON.stringify({ [oid]: { operations: ['everything'] } }) }).setting).toBe('CALLER_POLICY');
    expect(configError({ CALLER_POLICY: JSON.stringify({ 'not-a-guid': { operations: [] } }) }).setting).toBe('CALLER_POLICY');
    expect(configError({ CALLER_POLICY: JSON.stringify({ [oid]: { maxTtl: 'forever' } }) }).setting).toBe('CALLER_POLICY');
  });

  it('parses verifyAudiences, which default to audiences', () => {
    const oid = '11111111-2222-3333-4444-555555555555';
    const policy = local({ CALLER_POLICY: JSON.stringify({ [oid]: { operations: ['verify'], audiences: ['api://a'], verifyAudiences: ['api://b'] } }) }).auth.callerPolicy.get(oid);
    expect(policy).toMatchObject({ audiences: ['api://a'], verifyAudiences: ['api://b'] });
    expect(configError({ CALLER_POLICY: JSON.stringify({ [oid]: { verifyAudiences: 'api://b' } }) }).setting).toBe('CALLER_POLICY');
  });

  it('parses "encrypt" in the caller policy: required, optional, or the audiences whose tokens must be encrypted', () => {
    const oid = '11111111-2222-3333-4444-555555555555';
    const policyWith = (encrypt: unknown) => local({ CALLER_POLICY: JSON.stringify({ [oid]: { operations: ['sign'], audiences: ['api://local-dev'], encrypt } }) }).auth.callerPolicy.get(oid);
    expect(policyWith('required')?.encryptionRequiredFor).toBe('all');
    expect(policyWith(['api://local-dev'])?.encryptionRequiredFor).toEqual(['api://local-dev']);
    expect(policyWith('optional')).not.toHaveProperty('encryptionRequiredFor');
    expect(policyWith(undefined)).not.toHaveProperty('encryptionRequiredFor');
    for (const encrypt of [true, 'always', [1], {}]) expect(configError({ CALLER_POLICY: JSON.stringify({ [oid]: { encrypt } }) }).setting).toBe('CALLER_POLICY');
  });
});

describe('parseCallerPolicy', () => {
  it('gives nobody anything when the setting is absent or an empty object', () => {
    expect(parseCallerPolicy(undefined).size).toBe(0);
    expect(parseCallerPolicy('{}').size).toBe(0);
  });

  it('fills what an entry leaves out with nothing: no operations, no audiences, no claims, JWT_MAX_TTL, optional binding', () => {
    expect(parseCallerPolicy(JSON.stringify({ [OID]: {} })).get(OID)).toEqual({ operations: [], audiences: [], verifyAudiences: [], maxTtlMs: undefined, claims: [], binding: undefined });
  });

  it('keys callers by lower-case object id, so a token\'s oid finds its entry however the setting spells it', () => {
    const policy = parseCallerPolicy(JSON.stringify({ 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE': { operations: ['sign'] } }));
    expect([...policy.keys()]).toEqual(['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee']);
  });

  it('accepts every operation of the closed list and "binding": "required" or "optional"', () => {
    const policy = parseCallerPolicy(JSON.stringify({ [OID]: { operations: ['sign', 'verify', 'revoke', 'admin'], binding: 'required' } }));
    expect(policy.get(OID)).toMatchObject({ operations: ['sign', 'verify', 'revoke', 'admin'], binding: 'required' });
    expect(parseCallerPolicy(JSON.stringify({ [OID]: { binding: 'optional' } })).get(OID)?.binding).toBe('optional');
  });

  it.each([
    ['not JSON', '{', /^CALLER_POLICY: is not valid JSON\.$/],
    ['an array', [], /must be a JSON object keyed by caller object id/],
    ['a JSON string', '"x"', /must be a JSON object keyed by caller object id/],
    ['null', null, /must be a JSON object keyed by caller object id/],
    ['a key that is not a GUID', { 'app-name': {} }, /key "app-name" is not an object id \(GUID\)/],
    ['an entry that is not an object', { [OID]: ['sign'] }, /entry for .* must be an object/],
    ['a null entry', { [OID]: null }, /entry for .* must be an object/],
    ['operations that are not strings', { [OID]: { operations: [1] } }, /operations must be an array of strings/],
    ['operations as a string', { [OID]: { operations: 'sign' } }, /operations must be an array of strings/],
    ['an unknown operation', { [OID]: { operations: ['sign', 'delete'] } }, /"delete" is not one of sign, verify, revoke, admin/],
    ['audiences as a string', { [OID]: { audiences: 'api://a' } }, /audiences must be an array of strings/],
    ['claims that are not strings', { [OID]: { claims: [{}] } }, /claims must be an array of strings/],
    ['a maxTtl of zero', { [OID]: { maxTtl: 'PT0S' } }, /maxTtl must be an ISO 8601 duration/],
    ['a maxTtl in seconds', { [OID]: { maxTtl: 900 } }, /maxTtl must be an ISO 8601 duration/],
    ['an unknown binding', { [OID]: { binding: 'always' } }, /binding must be one of optional, required/],
  ])('stops on %s, naming CALLER_POLICY', (_case, policy, message) => {
    const text = refusal(policy);
    expect(text.startsWith('CALLER_POLICY: ')).toBe(true);
    expect(text).toMatch(message);
  });
});
