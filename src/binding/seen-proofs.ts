/**
 * The proofs this instance has seen lately, in front of the shared table: a replay that comes back
 * to the same instance is refused without a storage round trip. It only ever says "seen"; absence
 * means "ask the table". Bounded: when full, the oldest entry goes first (entries arrive roughly in
 * expiry order), which loses a shortcut, never a refusal.
 */
export class SeenProofs {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  has(key: string, nowSeconds: number): boolean {
    const expiresAt = this.entries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt >= nowSeconds) return true;
    this.entries.delete(key);
    return false;
  }

  add(key: string, expiresAt: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, expiresAt);
  }

  get size(): number {
    return this.entries.size;
  }
}
