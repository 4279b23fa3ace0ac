import type { RevocationSubject } from './revocation';

/** One revocation as stored: a token (jti), a subject's tokens, or every token, issued up to a time. */
export type RevocationEntry =
  | { kind: 'jti'; jti: string; expires: number }
  | { kind: 'sub'; sub: string; before: number; expires: number }
  | { kind: 'all'; before: number; expires: number };

/**
 * The in-memory picture the verifier consults: plain maps and one number, so `isRevoked` is a
 * couple of lookups and never waits on storage. Entries only ever add up: a cut-off only ever
 * moves later (the larger of two wins), so applying the same change twice, or out of order,
 * gives the same picture.
 */
export class RevocationSnapshot {
  private readonly jtis = new Set<string>();
  private readonly subjects = new Map<string, number>();
  private allBefore = Number.NEGATIVE_INFINITY;

  constructor(entries: readonly RevocationEntry[] = []) {
    for (const entry of entries) this.apply(entry);
  }

  apply(entry: RevocationEntry): void {
    if (entry.kind === 'jti') this.jtis.add(entry.jti);
    else if (entry.kind === 'sub') this.subjects.set(entry.sub, Math.max(entry.before, this.subjects.get(entry.sub) ?? Number.NEGATIVE_INFINITY));
    else this.allBefore = Math.max(this.allBefore, entry.before);
  }

  get size(): number {
    return this.jtis.size + this.subjects.size + (Number.isFinite(this.allBefore) ? 1 : 0);
  }

  /**
   * A token is revoked when its jti is, or when it was issued at or before a subject-wide or
   * service-wide cut-off. A token without `iat` can not prove it came after a cut-off, so any
   * cut-off that applies to it revokes it.
   */
  isRevoked(token: RevocationSubject): boolean {
    if (token.jti !== undefined && this.jtis.has(token.jti)) return true;
    const issuedAt = token.iat ?? Number.NEGATIVE_INFINITY;
    if (Number.isFinite(this.allBefore) && issuedAt <= this.allBefore) return true;
    if (token.sub !== undefined) {
      const cutoff = this.subjects.get(token.sub);
      if (cutoff !== undefined && issuedAt <= cutoff) return true;
    }
    return false;
  }
}
