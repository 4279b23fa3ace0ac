/**
 * NCRONTAB with six fields, as Azure Functions timers use: second minute hour day month day-of-week,
 * evaluated in UTC. Supports `*`, values, `a-b`, lists, `*\/n`, `a-b/n` and month/day names.
 */
interface Field {
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

export interface Schedule {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day-of-month and day-of-week both restricted: cron matches either (classic cron rule). */
  dayOrWeekday: boolean;
}

function value(text: string, field: Field, expression: string): number {
  const upper = text.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  const number = named >= 0 ? named + field.min : /^\d+$/.test(text) ? Number(text) : NaN;
  // 7 is Sunday too in many crons; NCRONTAB accepts 0-6 only, so keep to that.
  if (!Number.isInteger(number) || number < field.min || number > field.max) {
    throw new Error(`"${text}" is out of range ${field.min}-${field.max} in schedule "${expression}".`);
  }
  return number;
}

function parseField(text: string, field: Field, expression: string): Set<number> {
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || part.split('/').length > 2) throw new Error(`Bad step in "${part}" of schedule "${expression}".`);
    let start: number;
    let end: number;
    if (rangeText === '*') {
      start = field.min;
      end = field.max;
    } else if (rangeText.includes('-')) {
      const [a, b] = rangeText.split('-');
      start = value(a, field, expression);
      end = value(b, field, expression);
      if (start > end) throw new Error(`Range "${rangeText}" runs backwards in schedule "${expression}".`);
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
  if (parts.length !== 6) throw new Error(`Schedule "${expression}" must have 6 fields: second minute hour day month day-of-week.`);
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, i) => parseField(part, FIELDS[i], expression));
  return { seconds, minutes, hours, days, months, weekdays, dayOrWeekday: parts[3] !== '*' && parts[5] !== '*' };
}

function dayMatches(schedule: Schedule, date: Date): boolean {
  const day = schedule.days.has(date.getUTCDate());
  const weekday = schedule.weekdays.has(date.getUTCDay());
  return schedule.dayOrWeekday ? day || weekday : day && weekday;
}

/** The first occurrence strictly after `afterMs`, or undefined if none within about 5 years. */
export function nextOccurrence(schedule: Schedule, afterMs: number): number | undefined {
  const date = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (date.getTime() <= limit) {
    if (!schedule.months.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1);
      date.setUTCHours(0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, date)) {
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
