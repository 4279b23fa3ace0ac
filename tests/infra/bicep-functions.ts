import { createHash } from 'node:crypto';

/**
 * The ARM template functions the infra's Bicep uses, as the test evaluator (bicep-eval.ts) runs them. Each
 * follows ARM's documented behaviour; what is not modelled fails loudly rather than guessing.
 */

/** Raised by the template's own fail(): the deployment would stop with this message. */
export class BicepFail extends Error {}

export type Value = unknown;

/** A stand-in for ARM's uniqueString: deterministic, 13 characters from ARM's base32 alphabet. */
export function uniqueString(...parts: string[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const digest = createHash('sha256').update(parts.join('|')).digest();
  return Array.from({ length: 13 }, (_, k) => alphabet[digest[k] % 32]).join('');
}

/**
 * ARM's format(): .NET composite formatting. `{n}` (with an optional `,alignment`) takes argument n;
 * `{{` and `}}` are literal braces; any other brace fails the deployment, as .NET's FormatException does.
 * Format specifiers (`{0:N2}`) are not modelled and fail here.
 */
export function composite(template: string, args: readonly Value[]): string {
  let out = '';
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      out += c;
      i += 1;
    } else if (c === '{') {
      const hole = /^\{(\d+)(?:,(-?\d+))?\}/.exec(template.slice(i));
      if (!hole) throw new Error(`format(): a "{" that is not a placeholder (write "{{") at: ${template.slice(i, i + 30)}`);
      const index = Number(hole[1]);
      if (index >= args.length) throw new Error(`format(): placeholder {${index}} but ${args.length} argument(s)`);
      const arg = args[index];
      if (typeof arg !== 'string' && typeof arg !== 'number') throw new Error(`format(): argument ${index} is not a string or an integer`);
      const width = Number(hole[2] ?? 0);
      out += width < 0 ? String(arg).padEnd(-width) : String(arg).padStart(width);
      i += hole[0].length - 1;
    } else if (c === '}') throw new Error(`format(): a lone "}" (write "}}") at: ${template.slice(i, i + 30)}`);
    else out += c;
  }
  return out;
}

const DAY_SECONDS = 86400;

/**
 * ARM's dateTimeAdd(base, duration): ISO 8601 durations with a year read as 365 days and a month as 30
 * (as ARM documents, and as the app's own parser reads them). Weeks and a format argument are not modelled.
 */
export function dateTimeAdd(base: string, duration: string, format?: string): string {
  if (format !== undefined) throw new Error('the evaluator does not implement dateTimeAdd() with a format');
  const start = Date.parse(base);
  const parts = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (Number.isNaN(start) || !/(Z|[+-]\d\d:\d\d)$/.test(base)) throw new Error(`dateTimeAdd(): base is not an ISO 8601 time with a zone: ${base}`);
  if (!parts || /[PT]$/.test(duration)) throw new Error(`dateTimeAdd(): not a duration the evaluator reads: ${duration}`);
  const [, minus, years, months, days, hours, minutes, seconds] = parts;
  const n = (part: string | undefined): number => Number(part ?? 0);
  const total = (n(years) * 365 + n(months) * 30 + n(days)) * DAY_SECONDS + n(hours) * 3600 + n(minutes) * 60 + n(seconds);
  const result = new Date(start + (minus ? -1 : 1) * Math.round(total * 1000)).toISOString();
  return result.endsWith('.000Z') ? `${result.slice(0, -5)}Z` : result;
}

function isEmpty(value: Value): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

export interface Environment {
  subscriptionId: string;
  tenantId: string;
  loginEndpoint: string;
}

export const AZURE_CLOUD: Environment = { subscriptionId: '00000000-0000-0000-0000-0000000000aa', tenantId: '00000000-0000-0000-0000-0000000000bb', loginEndpoint: 'https://login.microsoftonline.com/' };

export function builtins(env: Environment): Record<string, (...args: Value[]) => Value> {
  const str = (v: Value): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return {
    toLower: (s) => str(s).toLowerCase(),
    toUpper: (s) => str(s).toUpperCase(),
    replace: (s, a, b) => str(s).split(str(a)).join(str(b)),
    take: (v, n) => (Array.isArray(v) ? v.slice(0, Number(n)) : str(v).slice(0, Number(n))),
    uniqueString: (...parts) => uniqueString(...parts.map(str)),
    empty: (v) => isEmpty(v),
    endsWith: (s, x) => str(s).endsWith(str(x)),
    startsWith: (s, x) => str(s).startsWith(str(x)),
    contains: (v, x) => (Array.isArray(v) ? v.includes(x) : typeof v === 'string' ? v.includes(str(x)) : Object.prototype.hasOwnProperty.call(v, str(x))),
    string: (v) => str(v),
    length: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : Object.keys(v as object).length),
    concat: (...vs) => (vs.every(Array.isArray) ? (vs as unknown[][]).flat() : vs.map(str).join('')),
    union: (...vs) => (vs.every(Array.isArray) ? [...new Set((vs as unknown[][]).flat())] : Object.assign({}, ...(vs as object[]))),
    split: (s, sep) => str(s).split(str(sep)),
    trim: (s) => str(s).trim(),
    join: (a, sep) => (a as unknown[]).map(str).join(str(sep)),
    format: (template, ...args) => composite(str(template), args),
    dateTimeAdd: (base, duration, format) => dateTimeAdd(str(base), str(duration), format === undefined ? undefined : str(format)),
    dateTimeToEpoch: (time) => {
      const ms = Date.parse(str(time));
      if (Number.isNaN(ms)) throw new Error(`dateTimeToEpoch(): not a time: ${str(time)}`);
      return Math.floor(ms / 1000);
    },
    filter: (a, f) => (a as unknown[]).filter((x) => (f as (x: Value) => Value)(x) === true),
    map: (a, f) => (a as unknown[]).map((x) => (f as (x: Value) => Value)(x)),
    fail: (message) => {
      throw new BicepFail(str(message));
    },
    subscriptionResourceId: (type, ...names) => `/subscriptions/${env.subscriptionId}/providers/${str(type)}/${names.map(str).join('/')}`,
    guid: (...parts) => {
      const h = createHash('sha1').update(parts.map(str).join('|')).digest('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    subscription: () => ({ id: `/subscriptions/${env.subscriptionId}`, subscriptionId: env.subscriptionId }),
    tenant: () => ({ tenantId: env.tenantId }),
    environment: () => ({ authentication: { loginEndpoint: env.loginEndpoint }, suffixes: { storage: 'core.windows.net' } }),
  };
}
