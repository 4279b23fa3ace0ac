import { RevocationSnapshot, type RevocationEntry } from '../../src/revocation/revocation-view';

/** The in-memory picture the verifier consults: lookups only, and a picture that only ever adds up. */
const T = 1_700_000_000;

describe('RevocationSnapshot', () => {
  it('revokes a token by its jti, whatever its subject or issue time', () => {
    const view = new RevocationSnapshot([{ kind: 'jti', jti: 'j1', expires: T + 60 }]);
    expect(view.isRevoked({ jti: 'j1' })).toBe(true);
    expect(view.isRevoked({ jti: 'j1', sub: 'anyone', iat: T + 10_000 })).toBe(true);
    expect(view.isRevoked({ jti: 'j2', sub: 'anyone', iat: T })).toBe(false);
    expect(view.isRevoked({})).toBe(false);
  });

  it("revokes a subject's tokens issued at or before the cut-off, not after it, and no other subject's", () => {
    const view = new RevocationSnapshot([{ kind: 'sub', sub: 'alice', before: T, expires: T + 3600 }]);
    expect(view.isRevoked({ sub: 'alice', iat: T - 1 })).toBe(true);
    expect(view.isRevoked({ sub: 'alice', iat: T })).toBe(true);
    expect(view.isRevoked({ sub: 'alice', iat: T + 1 })).toBe(false);
    expect(view.isRevoked({ sub: 'bob', iat: T - 1 })).toBe(false);
    expect(view.isRevoked({ iat: T - 1 })).toBe(false);
  });

  it('revokes every token issued at or before a service-wide cut-off', () => {
    const view = new RevocationSnapshot([{ kind: 'all', before: T, expires: T + 3600 }]);
    expect(view.isRevoked({ sub: 'anyone', iat: T })).toBe(true);
    expect(view.isRevoked({ iat: T - 100 })).toBe(true);
    expect(view.isRevoked({ sub: 'anyone', iat: T + 1 })).toBe(false);
  });

  it('revokes a token without iat under any cut-off that applies to it: it can not prove it came later', () => {
    const subject = new RevocationSnapshot([{ kind: 'sub', sub: 'alice', before: T, expires: T + 3600 }]);
    expect(subject.isRevoked({ sub: 'alice' })).toBe(true);
    expect(subject.isRevoked({ sub: 'bob' })).toBe(false);
    expect(new RevocationSnapshot([{ kind: 'all', before: T, expires: T + 3600 }]).isRevoked({ jti: 'x' })).toBe(true);
    expect(new RevocationSnapshot().isRevoked({ sub: 'alice' })).toBe(false);
  });

  it('keeps the later of two cut-offs, in whichever order they arrive, and applying one twice changes nothing', () => {
    const early: RevocationEntry[] = [
      { kind: 'sub', sub: 'alice', before: T - 100, expires: T + 3600 },
      { kind: 'all', before: T - 100, expires: T + 3600 },
    ];
    const late: RevocationEntry[] = [
      { kind: 'sub', sub: 'alice', before: T, expires: T + 3600 },
      { kind: 'all', before: T - 50, expires: T + 3600 },
    ];
    for (const order of [[...early, ...late], [...late, ...early], [...late, ...early, ...late, ...early]]) {
      const view = new RevocationSnapshot(order);
      expect(view.isRevoked({ sub: 'alice', iat: T })).toBe(true);
      expect(view.isRevoked({ sub: 'alice', iat: T + 1 })).toBe(false);
      expect(view.isRevoked({ sub: 'bob', iat: T - 50 })).toBe(true);
      expect(view.isRevoked({ sub: 'bob', iat: T - 49 })).toBe(false);
      expect(view.size).toBe(2);
    }
  });

  it('counts one entry per revoked token and subject, and one for a service-wide cut-off', () => {
    const view = new RevocationSnapshot();
    expect(view.size).toBe(0);
    view.apply({ kind: 'jti', jti: 'a', expires: T });
    view.apply({ kind: 'jti', jti: 'a', expires: T });
    view.apply({ kind: 'jti', jti: 'b', expires: T });
    view.apply({ kind: 'sub', sub: 's', before: T, expires: T });
    view.apply({ kind: 'sub', sub: 's', before: T + 1, expires: T });
    expect(view.size).toBe(3);
    view.apply({ kind: 'all', before: T, expires: T });
    view.apply({ kind: 'all', before: T + 5, expires: T });
    expect(view.size).toBe(4);
  });
});
