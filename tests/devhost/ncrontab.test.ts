import { nextOccurrence, parseNcrontab } from '../../devhost/ncrontab';

function next(expression: string, fromIso: string, count = 1): string[] {
  const schedule = parseNcrontab(expression);
  const out: string[] = [];
  let at = Date.parse(fromIso);
  for (let i = 0; i < count; i += 1) {
    at = nextOccurrence(schedule, at) as number;
    out.push(new Date(at).toISOString());
  }
  return out;
}

describe('NCRONTAB', () => {
  it('runs hourly on the hour (the default rotation schedule)', () => {
    expect(next('0 0 * * * *', '2026-11-25T02:50:10Z', 2)).toEqual(['2026-11-25T03:00:00.000Z', '2026-11-25T04:00:00.000Z']);
  });

  it('supports second steps', () => {
    expect(next('*/2 * * * * *', '2026-11-25T02:50:10.500Z', 3)).toEqual(['2026-11-25T02:50:12.000Z', '2026-11-25T02:50:14.000Z', '2026-11-25T02:50:16.000Z']);
  });

  it('supports ranges, lists, names and range steps', () => {
    expect(next('0 30 9-17/4 * * MON-FRI', '2026-11-27T18:00:00Z', 2)).toEqual(['2026-11-30T09:30:00.000Z', '2026-11-30T13:30:00.000Z']);
    expect(next('0 0 0 1 JAN,jul *', '2026-02-01T00:00:00Z')).toEqual(['2026-07-01T00:00:00.000Z']);
  });

  it('handles month ends and leap days', () => {
    expect(next('0 0 0 31 * *', '2026-11-25T00:00:00Z')).toEqual(['2026-12-31T00:00:00.000Z']);
    expect(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z']);
  });

  it('matches day-of-month or day-of-week when both are restricted, like cron', () => {
    expect(next('0 0 0 1 * SUN', '2026-11-25T00:00:00Z', 2)).toEqual(['2026-11-29T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
  });

  it.each(['0 * * * *', '60 * * * * *', '* * 24 * * *', '* * * 0 * *', '* * * * 13 *', '* * * * * 7', '*/0 * * * * *', '5-1 * * * * *', 'x * * * * *'])(
    'rejects %p',
    (expression) => {
      expect(() => parseNcrontab(expression)).toThrow();
    },
  );
});
