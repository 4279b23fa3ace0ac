import { SeenProofs } from '../../src/binding/seen-proofs';

describe('SeenProofs (the in-memory set in front of the replay table)', () => {
  it('remembers a proof until it expires', () => {
    const seen = new SeenProofs();
    seen.add('a', 100);
    expect(seen.has('a', 100)).toBe(true);
    expect(seen.has('a', 101)).toBe(false);
    expect(seen.has('b', 50)).toBe(false);
    expect(seen.size).toBe(0); // the expired entry went when asked for
  });

  it('stays within its bound, the oldest entry going first', () => {
    const seen = new SeenProofs(3);
    for (const key of ['a', 'b', 'c', 'd']) seen.add(key, 1000);
    expect(seen.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((key) => seen.has(key, 0))).toEqual([false, true, true, true]);
  });
});
