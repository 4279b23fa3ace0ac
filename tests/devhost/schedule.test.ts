import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Cron } from 'croner';
import { ScheduleError, parseSchedule } from '../../devhost/schedule';

function next(expression: string, fromIso: string, count = 1): string[] {
  const schedule = parseSchedule(expression);
  const out: string[] = [];
  let at = Date.parse(fromIso);
  for (let i = 0; i < count; i += 1) {
    const found = schedule.next(at);
    if (found === undefined) throw new Error(`no occurrence after ${new Date(at).toISOString()}`);
    at = found;
    out.push(new Date(at).toISOString());
  }
  return out;
}

describe('NCRONTAB schedules on croner (6 fields, UTC, NCrontab semantics)', () => {
  it('runs hourly on the hour (the default rotation schedule), strictly after the base time', () => {
    expect(next('0 0 * * * *', '2026-11-25T02:50:10Z', 2)).toEqual(['2026-11-25T03:00:00.000Z', '2026-11-25T04:00:00.000Z']);
    expect(next('0 0 * * * *', '2026-11-25T03:00:00Z')).toEqual(['2026-11-25T04:00:00.000Z']);
  });

  it('supports second steps from a fractional base time', () => {
    expect(next('*/2 * * * * *', '2026-11-25T02:50:10.500Z', 3)).toEqual(['2026-11-25T02:50:12.000Z', '2026-11-25T02:50:14.000Z', '2026-11-25T02:50:16.000Z']);
  });

  it('supports ranges, lists, names, range steps and value steps', () => {
    expect(next('0 30 9-17/4 * * MON-FRI', '2026-11-27T18:00:00Z', 2)).toEqual(['2026-11-30T09:30:00.000Z', '2026-11-30T13:30:00.000Z']);
    expect(next('0 0 0 1 JAN,jul *', '2026-02-01T00:00:00Z')).toEqual(['2026-07-01T00:00:00.000Z']);
    expect(next('0 45/5 * * * *', '2026-11-25T10:46:00Z', 3)).toEqual(['2026-11-25T10:50:00.000Z', '2026-11-25T10:55:00.000Z', '2026-11-25T11:45:00.000Z']);
    expect(next('5,10-12 0 0 * * *', '2026-11-25T00:00:06Z', 4)).toEqual([
      '2026-11-25T00:00:10.000Z',
      '2026-11-25T00:00:11.000Z',
      '2026-11-25T00:00:12.000Z',
      '2026-11-26T00:00:05.000Z',
    ]);
  });

  it('matches names as case-insensitive prefixes of the English names, like NCrontab', () => {
    const from = '2026-11-25T00:00:00Z';
    expect(next('0 0 0 * March Monday', from, 6)).toEqual(next('0 0 0 * 3 1', from, 6));
    expect(next('0 0 0 * mar mon', from, 6)).toEqual(next('0 0 0 * 3 1', from, 6));
    expect(next('0 0 0 * MARCH MONDAY', from, 6)).toEqual(next('0 0 0 * 3 1', from, 6));
    expect(next('0 0 0 * * sun-sat', from, 9)).toEqual(next('0 0 0 * * *', from, 9));
  });

  it('crosses month ends, year ends and leap days', () => {
    expect(next('0 0 0 31 * *', '2026-11-25T00:00:00Z', 2)).toEqual(['2026-12-31T00:00:00.000Z', '2027-01-31T00:00:00.000Z']);
    expect(next('0 0 0 29 2 *', '2026-03-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z']);
    expect(next('59 59 23 31 12 *', '2026-12-31T23:59:59Z')).toEqual(['2027-12-31T23:59:59.000Z']);
  });

  it('requires day-of-month AND day-of-week when both are restricted (NCrontab, not Vixie cron)', () => {
    // 1 August 2027 and 1 October 2028 are the next firsts of a month that fall on a Sunday.
    expect(next('0 0 0 1 * SUN', '2026-11-25T00:00:00Z', 2)).toEqual(['2027-08-01T00:00:00.000Z', '2028-10-01T00:00:00.000Z']);
    expect(next('0 0 12 * * 0', '2026-11-25T00:00:00Z')).toEqual(['2026-11-29T12:00:00.000Z']);
  });

  it("needs croner's domAndDow and sloppyRanges for that: its defaults are Vixie cron's", () => {
    const from = new Date('2026-11-25T00:00:00Z');
    // OR: every Sunday and every 1st (29 November is a Sunday), where NCrontab waits for a Sunday the 1st.
    expect(new Cron('0 0 0 1 * SUN', { timezone: 'UTC' }).nextRun(from)?.toISOString()).toBe('2026-11-29T00:00:00.000Z');
    expect(() => new Cron('0 45/5 * * * *', { timezone: 'UTC' })).toThrow(/numeric prefix/);
    expect(new Cron('0 0 0 * * 7', { timezone: 'UTC' }).nextRun(from)?.toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it('reads schedules in UTC whatever the machine’s time zone, across daylight-saving changes', () => {
    // A process of its own: the time zone is read from TZ at start (Jest's sandbox keeps its own copy of process.env).
    const probe = `
      const { parseSchedule } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'devhost', 'schedule.js'))});
      const runs = (expression, from, count) => {
        const schedule = parseSchedule(expression);
        const out = [];
        for (let at = Date.parse(from); out.length < count; out.push(new Date(at).toISOString())) at = schedule.next(at);
        return out;
      };
      process.stdout.write(JSON.stringify({
        localHourAtNoonUtc: new Date('2026-03-08T12:00:00Z').getHours(),
        spring: runs('0 30 2 * * *', '2026-03-07T00:00:00Z', 3),
        autumn: runs('0 0 * * * *', '2026-11-01T04:30:00Z', 4),
        monthly: runs('0 0 0 1 * *', '2026-10-15T00:00:00Z', 1),
      }));`;
    const output = execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, TZ: 'America/New_York' }, encoding: 'utf8' });
    // New York leaves EST for EDT at 07:00 UTC on 8 March 2026 and goes back at 06:00 UTC on 1 November.
    expect(JSON.parse(output)).toEqual({
      localHourAtNoonUtc: 8, // the zone was really in effect (EDT)
      spring: ['2026-03-07T02:30:00.000Z', '2026-03-08T02:30:00.000Z', '2026-03-09T02:30:00.000Z'],
      autumn: ['2026-11-01T05:00:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T07:00:00.000Z', '2026-11-01T08:00:00.000Z'],
      monthly: ['2026-11-01T00:00:00.000Z'],
    });
  });

  it('returns undefined for a schedule that never occurs instead of looping', () => {
    expect(parseSchedule('0 0 0 30 2 *').next(Date.parse('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    '0 * * * *',
    '0 0 * * * * *',
    '',
    '60 * * * * *',
    '* 60 * * * *',
    '* * 24 * * *',
    '* * * 0 * *',
    '* * * 32 * *',
    '* * * * 0 *',
    '* * * * 13 *',
    '* * * * * 7',
    '*/0 * * * * *',
    '*/x * * * * *',
    '1//2 * * * * *',
    '1/2/3 * * * * *',
    '5-1 * * * * *',
    '1-2-3 * * * * *',
    '1,,2 * * * * *',
    'x * * * * *',
    '* * * * * Funday',
    '* * * * JAN-FUN *',
    '-1 * * * * *',
    '1.5 * * * * *',
    // croner's extensions and forms NCrontab refuses: a schedule that runs here must run in Azure.
    '0 0 0 L * *',
    '0 0 0 15W * *',
    '0 0 0 * * 5#2',
    '0 0 0 * * 5L',
    '0 0 0 ? * *',
    '@daily',
    '0 0 0 * * 0-7',
    '/5 * * * * *',
    '0 0 0 * * +1',
    '* * * * * MON7',
  ])('rejects %p with a message naming the expression', (expression) => {
    expect(() => parseSchedule(expression)).toThrow(ScheduleError);
    expect(() => parseSchedule(expression)).toThrow(`"${expression}"`);
  });
});
