/**
 * ISO 8601 durations, as Key Vault's own rotation policy writes them (P90D, PT15M, PT20S).
 * Years and months have no fixed length; like Key Vault we read them as 365 and 30 days.
 */
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Parses an ISO 8601 duration into milliseconds; returns undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toUpperCase());
  if (!match || text.trim().endsWith('T') || text.trim().toUpperCase() === 'P') return undefined;
  const [, y, mo, w, d, h, mi, s] = match;
  const part = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
  const ms =
    part(y) * 365 * DAY +
    part(mo) * 30 * DAY +
    part(w) * 7 * DAY +
    part(d) * DAY +
    part(h) * HOUR +
    part(mi) * MINUTE +
    Math.round(part(s) * SECOND);
  return ms;
}

/** Formats milliseconds back into a compact ISO 8601 duration (for /api/keys and messages). */
export function formatDurationMs(ms: number): string {
  if (ms <= 0) return 'PT0S';
  let rest = ms;
  const days = Math.floor(rest / DAY);
  rest -= days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = rest / SECOND;
  let out = 'P';
  if (days) out += `${days}D`;
  if (hours || minutes || seconds) {
    out += 'T';
    if (hours) out += `${hours}H`;
    if (minutes) out += `${minutes}M`;
    if (seconds) out += `${Number(seconds.toFixed(3))}S`;
  }
  return out;
}
