import { formatDurationMs, parseDurationMs } from '../../src/config/duration';

describe('ISO 8601 durations', () => {
  it.each([
    ['P90D', 90 * 86_400_000],
    ['P2D', 2 * 86_400_000],
    ['PT15M', 15 * 60_000],
    ['PT1H', 3_600_000],
    ['PT20S', 20_000],
    ['PT0.5S', 500],
    ['P1W', 7 * 86_400_000],
    ['P1Y', 365 * 86_400_000],
    ['P1M', 30 * 86_400_000],
    ['P1DT2H3M4S', 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000],
    ['pt5s', 5000],
  ])('parses %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '90D', 'P-1D', 'PT1.2345S', 'P1DT', 'PT5', '5 minutes', 'P1.5D'])('rejects %p', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('formats back into a compact duration', () => {
    expect(formatDurationMs(90 * 86_400_000)).toBe('P90D');
    expect(formatDurationMs(3_600_000 + 60_000 + 1500)).toBe('PT1H1M1.5S');
    expect(formatDurationMs(0)).toBe('PT0S');
  });
});
