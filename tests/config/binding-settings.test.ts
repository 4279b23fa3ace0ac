import { loadConfig } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';

const OID = '11111111-2222-3333-4444-555555555555';
const local = (env: Record<string, string> = {}) => loadConfig({ AUTH_MODE: 'none', ...env });

function settingRefused(env: Record<string, string>): string {
  try {
    local(env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message; // "<SETTING>: what is wrong"
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('binding settings', () => {
  it('keeps DPoP replay records in table "dpopjti" and takes proofs up to a minute old by default', () => {
    expect(local().binding).toEqual({ replayTableName: 'dpopjti', dpopProofWindowSeconds: 60 });
    expect(local({ DPOP_REPLAY_TABLE_NAME: 'proofs2', DPOP_PROOF_WINDOW: 'PT30S' }).binding).toEqual({ replayTableName: 'proofs2', dpopProofWindowSeconds: 30 });
  });

  it('refuses a table name Table Storage would refuse', () => {
    for (const name of ['ab', 'dpop-jti', '1dpop', 'x'.repeat(64)]) expect(settingRefused({ DPOP_REPLAY_TABLE_NAME: name })).toMatch(/^DPOP_REPLAY_TABLE_NAME: /);
  });

  it('keeps the proof window short: a proof is made for one request', () => {
    expect(settingRefused({ DPOP_PROOF_WINDOW: 'PT11M' })).toMatch(/^DPOP_PROOF_WINDOW: must be between PT1S and PT10M/);
    expect(settingRefused({ DPOP_PROOF_WINDOW: 'soon' })).toMatch(/^DPOP_PROOF_WINDOW: /);
    expect(local({ DPOP_PROOF_WINDOW: 'PT10M' }).binding.dpopProofWindowSeconds).toBe(600);
  });
});

describe('CALLER_POLICY binding', () => {
  const policy = (entry: Record<string, unknown>) => local({ CALLER_POLICY: JSON.stringify({ [OID]: { operations: ['sign'], audiences: ['api://local-dev'], ...entry } }) }).auth.callerPolicy.get(OID);

  it('is "required" or "optional"; absent means optional', () => {
    expect(policy({ binding: 'required' })?.binding).toBe('required');
    expect(policy({ binding: 'optional' })?.binding).toBe('optional');
    expect(policy({})?.binding).toBeUndefined();
  });

  it('refuses anything else, naming the caller', () => {
    for (const binding of ['always', true, null, ['required']]) {
      expect(settingRefused({ CALLER_POLICY: JSON.stringify({ [OID]: { operations: ['sign'], binding } }) })).toBe(`CALLER_POLICY: ${OID}.binding must be one of optional, required.`);
    }
  });
});
