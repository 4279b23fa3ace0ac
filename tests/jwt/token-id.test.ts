import { newTokenId } from '../../src/jwt/token-id';

describe('newTokenId', () => {
  it('gives 128-bit base64url ids, all different, across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, () => newTokenId()); // about eight refills of the pool
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => Buffer.from(id, 'base64url').length === 16)).toBe(true);
  });

  it('spreads its bits evenly', () => {
    const bytes = Buffer.concat(Array.from({ length: 4_096 }, () => Buffer.from(newTokenId(), 'base64url')));
    const ones = [...bytes].reduce((sum, byte) => sum + byte.toString(2).replaceAll('0', '').length, 0);
    // 524,288 random bits: the share of ones stays within ±1 % of one half.
    expect(Math.abs(ones / (bytes.length * 8) - 0.5)).toBeLessThan(0.01);
  });
});
