import { audiencesToVerify, mayRevoke, type Caller } from '../../src/auth/caller';

/** Which tokens a caller may have judged or revoked: never another API's (no laundering). */
const ISSUED = ['api://orders', 'api://billing', 'api://shared'];

function caller(verifyAudiences: string[], id = 'caller-oid'): Caller {
  return { id, permissions: { operations: ['verify', 'revoke'], audiences: [], verifyAudiences, claims: [] } };
}

describe('audiencesToVerify', () => {
  it("is the caller's verify audiences that this service issues for", () => {
    expect(audiencesToVerify(caller(['api://orders', 'api://elsewhere', 'api://shared']), ISSUED)).toEqual(['api://orders', 'api://shared']);
  });

  it('narrows to the audience the request names, and to nothing when the caller may not verify it', () => {
    const orders = caller(['api://orders', 'api://shared']);
    expect(audiencesToVerify(orders, ISSUED, 'api://shared')).toEqual(['api://shared']);
    expect(audiencesToVerify(orders, ISSUED, 'api://billing')).toEqual([]);
    expect(audiencesToVerify(caller(['api://elsewhere']), ISSUED, 'api://elsewhere')).toEqual([]);
  });

  it('is nothing for a caller without verify audiences', () => {
    expect(audiencesToVerify(caller([]), ISSUED)).toEqual([]);
  });
});

describe('mayRevoke (RFC 7009: a client revokes its own tokens)', () => {
  const orders = caller(['api://orders']);

  it('allows a token issued to the caller (azp), whatever its audience', () => {
    expect(mayRevoke(orders, { azp: 'caller-oid', aud: 'api://billing' }, ISSUED)).toBe(true);
  });

  it("allows a token for one of the caller's verify audiences, as a string or in an array", () => {
    expect(mayRevoke(orders, { azp: 'someone-else', aud: 'api://orders' }, ISSUED)).toBe(true);
    expect(mayRevoke(orders, { aud: ['api://billing', 'api://orders'] }, ISSUED)).toBe(true);
  });

  it("refuses another caller's token for another API", () => {
    expect(mayRevoke(orders, { azp: 'someone-else', aud: 'api://billing' }, ISSUED)).toBe(false);
    expect(mayRevoke(orders, { aud: ['api://billing', 'api://shared'] }, ISSUED)).toBe(false);
  });

  it('refuses a token for a verify audience this service does not issue for', () => {
    expect(mayRevoke(caller(['api://elsewhere']), { aud: 'api://elsewhere' }, ISSUED)).toBe(false);
  });

  it('refuses a token without azp or a usable aud', () => {
    for (const claims of [{}, { aud: 42 }, { aud: [null, {}] }, { azp: 42, aud: ['x'] }]) expect(mayRevoke(orders, claims, ISSUED)).toBe(false);
  });
});
