import { Cron } from 'croner';

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
const FIELDS: Array<[label: string, min: number, max: number, names?: string[]]> = [
  ['second', 0, 59], ['minute', 0, 59], ['hour', 0, 23], ['day', 1, 31], ['month', 1, 12, MONTHS], ['day-of-week', 0, 6, DAYS],
];
/** `*`, `a` or `a-b`, then an optional `/step`: all the syntax NCrontab has within a list. */
const PART = /^(?:\*|\d+(?:-\d+)?)(?:\/\d+)?$/;

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

/** `next`: the first occurrence strictly after `afterMs` (whole seconds, UTC), or undefined if there is none. */
export interface Schedule { next(afterMs: number): number | undefined }

/**
 * NCRONTAB as Azure Functions timers read it (NCrontab): second minute hour day month day-of-week, UTC,
 * evaluated by croner with NCrontab's semantics: day-of-month AND day-of-week (`domAndDow`; croner's
 * default ORs them, as Vixie cron), `a/n` from a to the field's end (`sloppyRanges`), Sunday 0. What
 * NCrontab refuses croner may take (day-of-week 7, L, W, #, ?, @daily): refused first. Names, prefixes
 * of the English names for NCrontab (`Mon`, `MONDAY`, `jul`), become numbers.
 */
export function parseSchedule(expression: string): Schedule {
  const invalid = (reason: string): ScheduleError => new ScheduleError(`Schedule "${expression}" is not a valid NCRONTAB expression: ${reason}`);
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) throw invalid('it must have 6 fields: second minute hour day month day-of-week.');
  const numeric = fields.map((field, i) => {
    const [label, min, max, names = []] = FIELDS[i];
    return field.split(',').map((part) => {
      const named = part.replace(/[A-Za-z]+/g, (name) => {
        const index = names.findIndex((full) => full.startsWith(name.toUpperCase()));
        if (index < 0) throw invalid(`"${name}" is not a ${label}.`);
        return String(index + min);
      });
      if (!PART.test(named)) throw invalid(`"${part}" is not a ${label}, range or step.`);
      const outside = named.split('/')[0].split('-').find((value) => Number(value) < min || Number(value) > max);
      if (outside !== undefined) throw invalid(`"${outside}" is not a ${label} (${min}-${max}).`);
      return named;
    }).join(',');
  });
  let cron: Cron;
  try {
    // utcOffset 0 is UTC (no daylight saving) without croner's Intl time-zone path: ~35 ms of a cold start.
    cron = new Cron(numeric.join(' '), { mode: '6-part', utcOffset: 0, domAndDow: true, sloppyRanges: true });
  } catch (error: unknown) {
    throw invalid(error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error));
  }
  return { next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() };
}
