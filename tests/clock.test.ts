/** The injected clock (clock.ts): the system clock, a manual clock for tests, and whole seconds. */
import { ManualClock, nowSeconds, systemClock } from '../src/clock';

describe('systemClock', () => {
  it('reads the wall clock in milliseconds', () => {
    const before = Date.now();
    const now = systemClock.nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

describe('ManualClock', () => {
  it('moves only when told: set and advance', () => {
    const clock = new ManualClock(1_000);
    expect(clock.nowMs()).toBe(1_000);
    expect(clock.nowMs()).toBe(1_000);
    clock.advance(250);
    expect(clock.nowMs()).toBe(1_250);
    clock.set(10);
    expect(clock.nowMs()).toBe(10);
    clock.advance(-5);
    expect(clock.nowMs()).toBe(5);
  });
});

describe('nowSeconds', () => {
  it('is whole Unix seconds, rounded down (a token issued at 1.999 s has iat 1)', () => {
    expect(nowSeconds(new ManualClock(1_999))).toBe(1);
    expect(nowSeconds(new ManualClock(2_000))).toBe(2);
    expect(nowSeconds(new ManualClock(1_800_000_000_999))).toBe(1_800_000_000);
  });
});
