/**
 * Text for SVG/XML: every string that comes from data (kids, tags, titles) goes through here, so a
 * tag value like `<script>` or `&` renders as text and the document stays well-formed.
 */

// Characters XML 1.0 does not allow at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF):
// escaping can not make them legal, so they become U+FFFD.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes for element text and for attribute values (either quote). */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Shortens to `max` characters with an ellipsis, before escaping (an entity is never cut). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Coordinates with one decimal: exact enough for a screen, short enough to read the SVG. */
export const px = (value: number): string => String(Math.round(value * 10) / 10);

/** UTC date and time without seconds' fraction: `2026-05-01 14:03:07`. */
export const utc = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);

const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 15552000, 31536000];

/** Axis ticks at round UTC times, at most `maxTicks` of them, with labels as precise as the step needs. */
export function timeTicks(start: number, end: number, maxTicks: number): Array<{ at: number; label: string }> {
  const step = TICK_STEPS.find((s) => (end - start) / s <= maxTicks) ?? TICK_STEPS[TICK_STEPS.length - 1];
  const multiDay = end - start > 86400;
  const label = (t: number): string => {
    const iso = new Date(t * 1000).toISOString();
    if (step >= 86400) return iso.slice(0, 10);
    if (step < 60) return iso.slice(11, 19);
    return multiDay ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  };
  const ticks: Array<{ at: number; label: string }> = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push({ at: t, label: label(t) });
  return ticks;
}
