/**
 * Text and numbers for the SVG (svg-text.ts): data becomes text, never markup; truncation never
 * cuts a character or an entity; coordinates, dates and axis ticks are short and exact.
 */
import { escapeXml, px, timeTicks, truncate, utc } from '../../src/keys/svg-text';

describe('escapeXml', () => {
  it('escapes the five XML specials, for element text and attributes in either quote', () => {
    expect(escapeXml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&apos;y&apos;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('replaces what XML 1.0 can not hold at all (controls, lone surrogates, U+FFFE/U+FFFF) with U+FFFD, and keeps tab, newlines and astral characters', () => {
    expect(escapeXml('a\u0000b\u0007c\u001Fd')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(escapeXml('lone \uD800 and \uDC00')).toBe('lone \uFFFD and \uFFFD');
    expect(escapeXml('\uFFFE\uFFFF')).toBe('\uFFFD\uFFFD');
    expect(escapeXml('tab\tline\nreturn\r 🔑 é')).toBe('tab\tline\nreturn\r 🔑 é');
  });
});

describe('truncate', () => {
  it('keeps text up to max characters and shortens longer text to max with an ellipsis', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdefg', 6)).toBe('abcde…');
    expect([...truncate('abcdefg', 6)]).toHaveLength(6);
  });

  it('counts characters, not UTF-16 units: a surrogate pair is never split', () => {
    expect(truncate('🔑🔑🔑🔑', 4)).toBe('🔑🔑🔑🔑');
    expect(truncate('🔑🔑🔑🔑🔑', 4)).toBe('🔑🔑🔑…');
  });

  it('shortens before escaping, so an entity is never cut', () => {
    expect(escapeXml(truncate('<<<<<<', 4))).toBe('&lt;&lt;&lt;…');
  });
});

describe('px and utc', () => {
  it('writes coordinates with at most one decimal', () => {
    expect([px(12), px(12.34), px(12.35), px(-0.04), px(1 / 3)]).toEqual(['12', '12.3', '12.4', '0', '0.3']);
  });

  it('writes UTC date and time to the second', () => {
    expect(utc(1_800_000_000)).toBe('2027-01-15 08:00:00');
    expect(utc(1_800_000_000.9)).toBe('2027-01-15 08:00:00');
  });
});

describe('timeTicks', () => {
  it('puts at most maxTicks ticks at round UTC times within the range', () => {
    const start = Date.UTC(2027, 0, 1, 10, 7, 13) / 1000;
    const ticks = timeTicks(start, start + 6 * 3600, 8);
    expect(ticks.length).toBeLessThanOrEqual(8);
    expect(ticks.map((t) => t.at % 3600)).toEqual(ticks.map(() => 0));
    expect(ticks[0].at).toBeGreaterThanOrEqual(start);
    expect(ticks.at(-1)?.at).toBeLessThanOrEqual(start + 6 * 3600);
    expect(ticks.map((t) => t.label)).toEqual(['11:00', '12:00', '13:00', '14:00', '15:00', '16:00']);
  });

  it('labels as precisely as the step needs: seconds, minutes, dates with times across days, dates for day steps', () => {
    const start = Date.UTC(2027, 0, 1) / 1000;
    expect(timeTicks(start, start + 20, 10)[1].label).toBe('00:00:02');
    expect(timeTicks(start, start + 3 * 86400, 8)[1].label).toBe('01-01 12:00');
    expect(timeTicks(start, start + 30 * 86400, 10).map((t) => t.label).slice(0, 2)).toEqual(['2027-01-07', '2027-01-14']);
  });

  it('falls back to the largest step (a year) for a range longer than any step allows', () => {
    const start = Date.UTC(2020, 0, 1) / 1000;
    const ticks = timeTicks(start, start + 40 * 31_536_000, 5);
    expect(ticks[1].at - ticks[0].at).toBe(31_536_000);
  });
});
