/**
 * NCRONTAB with six fields, as Azure Functions timers use: second minute hour day month day-of-week,
 * evaluated in UTC. Supports `*`, values, `a-b`, lists, `*\/n`, `a-b/n`, `a/n` (a to the field's
 * maximum) and month/day names. Semantics follow the NCrontab library the Functions host uses:
 * - day-of-week is 0-6 (Sunday is 0; 7 is refused);
 * - names are matched case-insensitively as prefixes of the English names (`Mon`, `MONDAY`, `jul`);
 * - day-of-month AND day-of-week must both match (unlike Vixie cron, which ORs them when both are
 *   restricted): `0 0 0 1 * MON` runs only on the 1st when it is a Monday.
 */
interface Field {
  label: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { label: 'second', min: 0, max: 59 },
  { label: 'minute', min: 0, max: 59 },
  { label: 'hour', min: 0, max: 23 },
  { label: 'day', min: 1, max: 31 },
  {
    label: 'month',
    min: 1,
    max: 12,
    names: ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'],
  },
  { label: 'day-of-week', min: 0, max: 6, names: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] },
];

export interface Schedule {
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
}

export class NcrontabError extends Error {
  constructor(expression: string, reason: string) {
    super(`Schedule "${expression}" is not a valid NCRONTAB expression: ${reason}`);
    this.name = 'NcrontabError';
  }
}

function value(text: string, field: Field, expression: string): number {
  let number = Number.NaN;
  if (/^\d+$/.test(text)) number = Number(text);
  else if (/^[A-Za-z]+$/.test(text) && field.names) {
    const index = field.names.findIndex((name) => name.startsWith(text.toUpperCase()));
    if (index >= 0) number = index + field.min;
  }
  if (!Number.isInteger(number) || number < field.min || number > field.max) {
    throw new NcrontabError(expression, `"${text}" is not a ${field.label} (${field.min}-${field.max}).`);
  }
  return number;
}

function parseField(text: string, field: Field, expression: string): Set<number> {
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const pieces = part.split('/');
    if (pieces.length > 2) throw new NcrontabError(expression, `"${part}" has more than one step.`);
    const [rangeText, stepText] = pieces;
    const step = stepText === undefined ? 1 : /^\d+$/.test(stepText) ? Number(stepText) : Number.NaN;
    if (!Number.isInteger(step) || step < 1) throw new NcrontabError(expression, `"${part}" has a bad step.`);
    let start: number;
    let end: number;
    if (rangeText === '*') {
      start = field.min;
      end = field.max;
    } else if (rangeText.includes('-')) {
      const bounds = rangeText.split('-');
      if (bounds.length !== 2) throw new NcrontabError(expression, `"${rangeText}" is not a range.`);
      start = value(bounds[0], field, expression);
      end = value(bounds[1], field, expression);
      if (start > end) throw new NcrontabError(expression, `range "${rangeText}" runs backwards.`);
    } else {
      start = value(rangeText, field, expression);
      end = stepText === undefined ? start : field.max;
    }
    for (let v = start; v <= end; v += step) result.add(v);
  }
  return result;
}

export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new NcrontabError(expression, 'it must have 6 fields: second minute hour day month day-of-week.');
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, i) => parseField(part, FIELDS[i], expression));
  return { seconds, minutes, hours, days, months, weekdays };
}

/** The first occurrence strictly after `afterMs` (whole seconds, UTC), or undefined within 5 years. */
export function nextOccurrence(schedule: Schedule, afterMs: number): number | undefined {
  const date = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  // Schedules that can never match (e.g. 30 February) end the search instead of looping forever.
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (date.getTime() <= limit) {
    if (!schedule.months.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1);
      date.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.days.has(date.getUTCDate()) || !schedule.weekdays.has(date.getUTCDay())) {
      date.setUTCDate(date.getUTCDate() + 1);
      date.setUTCHours(0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(date.getUTCHours())) {
      date.setUTCHours(date.getUTCHours() + 1, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0);
      continue;
    }
    if (!schedule.seconds.has(date.getUTCSeconds())) {
      date.setUTCSeconds(date.getUTCSeconds() + 1);
      continue;
    }
    return date.getTime();
  }
  return undefined;
}
