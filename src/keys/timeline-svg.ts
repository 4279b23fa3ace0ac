import type { AnyPhasedKey, KeyPhase } from './phases';
import { escapeXml, px, timeTicks, truncate, utc } from './svg-text';
import { timelineLanes, type TimelineLane } from './timeline-data';

export interface KeyTimelineOptions {
  /** Unix seconds: the "now" line; everything right of it is the plan. */
  now: number;
  /** Unix seconds at which the timer will next create a key (see timeline-data.ts nextRotationAt). */
  nextRotation?: number;
  title?: string;
  /** Pixels; the height follows from the number of lanes. */
  width?: number;
  /** The encryption key's versions: drawn below the signing lanes the same way. */
  encryption?: readonly AnyPhasedKey[];
}

/** Okabe–Ito colours: told apart with every common form of colour blindness. */
export const PHASE_COLOURS: Readonly<Record<KeyPhase, string>> = {
  announced: '#56B4E9',
  active: '#009E73',
  retired: '#E69F00',
  disabled: '#A8A8A8',
};
/** Darker shades of the same hues for text on white (the fills are too light to read as text). */
const PHASE_TEXT: Readonly<Record<KeyPhase, string>> = { announced: '#1F6F9E', active: '#00795A', retired: '#A86F00', disabled: '#59636E' };
/** A disabled version is kept but inert: a thin bar, so the live keys stand out. */
const DISABLED_BAR_HEIGHT = 6;
const EMERGENCY = '#D55E00';
const NEXT_ROTATION = '#0072B2';
const INK = '#1F2328';
const MUTED = '#59636E';
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

const MARGIN = 16;
const LABEL_WIDTH = 232;
const PLOT_TOP = 84;
const LANE_HEIGHT = 34;
const BAR_OFFSET = 9;
const BAR_HEIGHT = 16;

interface Frame {
  width: number;
  plotLeft: number;
  plotRight: number;
  plotBottom: number;
  start: number;
  end: number;
  x(t: number): number;
}

/**
 * The key ring as an SVG picture (`GET /api/keys/timeline`, the README): one lane per version,
 * newest first like `GET /api/keys`, coloured by phase, with a "now" line, the next scheduled
 * rotation and emergency rotations marked. Static markup only — no script, no external reference,
 * every string from the data escaped — so it is safe to serve and embeds anywhere.
 */
export function renderKeyTimeline(phased: readonly AnyPhasedKey[], options: KeyTimelineOptions): string {
  const { now, nextRotation } = options;
  const lanes = [...timelineLanes(phased, 'sig', now), ...timelineLanes(options.encryption ?? [], 'enc', now)];
  const frame = layout(lanes, options);
  const title = options.title ?? 'Key ring timeline';
  const facts = [`${lanes.length} key version${lanes.length === 1 ? '' : 's'}`, 'times in UTC', `now ${utc(now)}`];
  if (nextRotation !== undefined) facts.push(`next rotation ${utc(nextRotation)}`);
  const legendBlock = legend(frame);
  const height = Math.ceil(legendBlock.bottom + 16);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${height}" viewBox="0 0 ${frame.width} ${height}" role="img" font-family="${FONT}" font-size="12" fill="${INK}">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(`${facts.join(', ')}. One lane per key version, newest first, coloured by phase.`)}</desc>`,
    `<rect width="${frame.width}" height="${height}" rx="6" fill="#FFFFFF" stroke="#D0D7DE"/>`,
    `<text x="${MARGIN}" y="28" font-size="16" font-weight="600">${escapeXml(truncate(title, 90))}</text>`,
    `<text x="${MARGIN}" y="48" font-size="11" fill="${MUTED}">${escapeXml(facts.join(' · '))}</text>`,
    `<g class="plot" data-start="${frame.start}" data-end="${frame.end}" data-x0="${frame.plotLeft}" data-x1="${frame.plotRight}">`,
    // Lane stripes under the grid, the grid under the bars.
    ...lanes.map((_lane, index) => (index % 2 === 0 ? `<rect class="stripe" x="${MARGIN / 2}" y="${PLOT_TOP + index * LANE_HEIGHT}" width="${frame.plotRight - MARGIN / 2}" height="${LANE_HEIGHT}" fill="#F6F8FA"/>` : '')),
    axis(frame),
    ...lanes.map((lane, index) => renderLane(lane, index, frame)),
    lanes.length === 0 ? `<text x="${px((frame.plotLeft + frame.plotRight) / 2)}" y="${PLOT_TOP + 21}" text-anchor="middle" fill="${MUTED}">no key versions yet</text>` : '',
    // Right of "now" is the plan: lightened, so what happened and what will happen read apart.
    `<rect class="planned" x="${px(frame.x(now))}" y="${PLOT_TOP}" width="${px(Math.max(0, frame.plotRight - frame.x(now)))}" height="${frame.plotBottom - PLOT_TOP}" fill="#FFFFFF" fill-opacity="0.45"/>`,
    ...lanes.map((lane, index) => emergencyMarker(lane, index, lanes, frame)),
    markerLine('next-rotation', nextRotation, now, frame),
    markerLine('now', now, now, frame),
    '</g>',
    legendBlock.markup,
    '</svg>',
  ];
  return `${parts.filter((part) => part !== '').join('\n')}\n`;
}

function layout(lanes: readonly TimelineLane[], options: KeyTimelineOptions): Frame {
  const width = Math.max(640, Math.round(options.width ?? 960));
  const plotLeft = MARGIN + LABEL_WIDTH;
  const plotRight = width - 28;
  const times = [options.now, ...(options.nextRotation === undefined ? [] : [options.nextRotation])];
  for (const lane of lanes) for (const span of lane.spans) times.push(span.from, ...(span.to === undefined ? [] : [span.to]));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const range = Math.max(last - first, 60);
  // A little room on the left, more on the right for open-ended spans and the marker labels.
  const start = Math.floor(first - range * 0.02);
  const end = Math.ceil(last + range * 0.1);
  const plotBottom = PLOT_TOP + Math.max(lanes.length, 1) * LANE_HEIGHT;
  const x = (t: number): number => plotLeft + ((t - start) / (end - start)) * (plotRight - plotLeft);
  return { width, plotLeft, plotRight, plotBottom, start, end, x };
}

function axis(frame: Frame): string {
  const lines = [`<line x1="${frame.plotLeft}" y1="${frame.plotBottom}" x2="${frame.plotRight}" y2="${frame.plotBottom}" stroke="${MUTED}"/>`];
  for (const tick of timeTicks(frame.start, frame.end, Math.max(3, Math.floor((frame.plotRight - frame.plotLeft) / 110)))) {
    const x = px(frame.x(tick.at));
    lines.push(
      `<line x1="${x}" y1="${PLOT_TOP}" x2="${x}" y2="${frame.plotBottom}" stroke="#D8DEE4" stroke-width="1"/>`,
      `<line x1="${x}" y1="${frame.plotBottom}" x2="${x}" y2="${frame.plotBottom + 4}" stroke="${MUTED}"/>`,
      `<text x="${x}" y="${frame.plotBottom + 17}" font-size="10" text-anchor="middle" fill="${MUTED}">${escapeXml(tick.label)}</text>`,
    );
  }
  return `<g class="axis">${lines.join('')}</g>`;
}

function describeLane(lane: TimelineLane): string {
  const { key } = lane;
  const date = (t: number | undefined): string => (t === undefined ? '—' : utc(t));
  const tags = Object.entries(key.version.tags).map(([name, value]) => `${name}=${value}`);
  return [
    `kid ${key.version.kid}`,
    `${key.version.alg} (${lane.use}), ${key.phase}${key.version.enabled ? '' : ' (disabled in the store)'}`,
    `created ${date(key.version.created)}, activates ${date(key.activatesAt)}, retires ${date(key.retiresAt)}, disables ${date(key.disablesAt)}`,
    ...(tags.length > 0 ? [`tags ${tags.join(', ')}`] : []),
  ].join('\n');
}

function renderLane(lane: TimelineLane, index: number, frame: Frame): string {
  const { key } = lane;
  const top = PLOT_TOP + index * LANE_HEIGHT;
  const kid = key.version.kid.length > 14 ? `${key.version.kid.slice(0, 13)}…` : key.version.kid;
  const origin = key.version.tags.origin;
  const meta = [key.version.alg, lane.use, ...(origin === undefined ? [] : [`origin: ${truncate(origin, 18)}`])].join(' · ');
  const parts = [
    `<g class="lane" data-kid="${escapeXml(key.version.kid)}" data-phase="${key.phase}" data-use="${lane.use}" data-alg="${escapeXml(key.version.alg)}">`,
    `<title>${escapeXml(describeLane(lane))}</title>`,
    `<text x="${MARGIN}" y="${top + 15}" font-family="${MONO}" font-size="12">${escapeXml(kid)}</text>`,
    `<text x="${MARGIN}" y="${top + 28}" font-size="10" fill="${MUTED}">${escapeXml(meta)}</text>`,
    `<text x="${frame.plotLeft - 10}" y="${top + 21}" font-size="11" font-weight="600" text-anchor="end" fill="${PHASE_TEXT[key.phase]}">${key.phase}</text>`,
  ];
  for (const span of lane.spans) {
    const x1 = Math.max(frame.plotLeft, frame.x(span.from));
    const x2 = span.to === undefined ? frame.plotRight : frame.x(span.to);
    const height = span.phase === 'disabled' ? DISABLED_BAR_HEIGHT : BAR_HEIGHT;
    const y = top + BAR_OFFSET + (BAR_HEIGHT - height) / 2;
    parts.push(
      `<rect class="span" data-phase="${span.phase}" data-from="${span.from}"${span.to === undefined ? '' : ` data-to="${span.to}"`} x="${px(x1)}" y="${y}" width="${px(Math.max(x2 - x1, 1.5))}" height="${height}" rx="${Math.min(3, height / 2)}" fill="${PHASE_COLOURS[span.phase]}"/>`,
    );
  }
  parts.push('</g>');
  return parts.filter((part) => part !== '').join('');
}

/** A diamond where the emergency key took over, joined to the lanes of the keys it disabled. */
function emergencyMarker(lane: TimelineLane, index: number, lanes: readonly TimelineLane[], frame: Frame): string {
  if (!lane.emergency) return '';
  const x = frame.x(lane.emergency.at);
  const laneY = (i: number): number => PLOT_TOP + i * LANE_HEIGHT + BAR_OFFSET + BAR_HEIGHT / 2;
  const replacedRows = lane.emergency.replaced.map((kid) => lanes.findIndex((other) => other.key.version.kid === kid && other.use === lane.use)).filter((i) => i >= 0);
  const rows = [index, ...replacedRows];
  const diamond = (y: number): string => `<path d="M${px(x)} ${px(y - 7)}l6 7-6 7-6-7z" fill="${EMERGENCY}" stroke="#FFFFFF" stroke-width="1.5"/>`;
  return [
    `<g class="emergency" data-kid="${escapeXml(lane.key.version.kid)}" data-replaced="${escapeXml(lane.emergency.replaced.join(' '))}" data-time="${lane.emergency.at}">`,
    `<title>${escapeXml(`emergency rotation at ${utc(lane.emergency.at)}: ${lane.key.version.kid} replaced ${lane.emergency.replaced.join(', ') || 'no active key'}`)}</title>`,
    rows.length > 1 ? `<line x1="${px(x)}" y1="${px(laneY(Math.min(...rows)))}" x2="${px(x)}" y2="${px(laneY(Math.max(...rows)))}" stroke="${EMERGENCY}" stroke-width="2" stroke-dasharray="3 2"/>` : '',
    ...rows.map((row) => diamond(laneY(row))),
    '</g>',
  ].join('');
}

/** The "now" line (solid) or the next rotation (dashed), labelled above the plot. */
function markerLine(kind: 'now' | 'next-rotation', at: number | undefined, now: number, frame: Frame): string {
  if (at === undefined) return '';
  const x = frame.x(at);
  const isNow = kind === 'now';
  const colour = isNow ? INK : NEXT_ROTATION;
  const label = isNow ? 'now' : 'next rotation';
  // "now" sits left of its line, the next rotation right of its own (it is normally later); one
  // that is overdue or too close to the right edge goes left too, one row higher, so the two
  // labels never overlap.
  const right = !isNow && at >= now && x + 4 + label.length * 6.6 <= frame.width - 6;
  const labelY = isNow || right ? PLOT_TOP - 8 : PLOT_TOP - 22;
  return [
    `<g class="${kind}">`,
    `<line class="${kind}" data-time="${at}" x1="${px(x)}" y1="${PLOT_TOP - 4}" x2="${px(x)}" y2="${frame.plotBottom}" stroke="${colour}" stroke-width="${isNow ? 2 : 1.5}"${isNow ? '' : ' stroke-dasharray="6 3"'}/>`,
    `<text x="${px(right ? x + 4 : x - 4)}" y="${labelY}" font-size="11" font-weight="600" text-anchor="${right ? 'start' : 'end'}" fill="${colour}">${label}</text>`,
    '</g>',
  ].join('');
}

/** Swatches in rows that fit the width; `bottom` is where the last row ends. */
function legend(frame: Frame): { markup: string; bottom: number } {
  let y = frame.plotBottom + 44;
  const items: Array<{ swatch: (x: number) => string; label: string }> = [
    ...(Object.keys(PHASE_COLOURS) as KeyPhase[]).map((phase) => ({
      swatch: (x: number) =>
        phase === 'disabled'
          ? `<rect x="${x}" y="${y - 6}" width="18" height="${DISABLED_BAR_HEIGHT}" rx="3" fill="${PHASE_COLOURS[phase]}"/>`
          : `<rect x="${x}" y="${y - 9}" width="18" height="10" rx="2" fill="${PHASE_COLOURS[phase]}"/>`,
      label: phase,
    })),
    { swatch: (x: number) => `<line x1="${x + 9}" y1="${y - 11}" x2="${x + 9}" y2="${y + 3}" stroke="${INK}" stroke-width="2"/>`, label: 'now' },
    { swatch: (x: number) => `<line x1="${x + 9}" y1="${y - 11}" x2="${x + 9}" y2="${y + 3}" stroke="${NEXT_ROTATION}" stroke-width="1.5" stroke-dasharray="4 2"/>`, label: 'next rotation' },
    { swatch: (x: number) => `<path d="M${x + 9} ${y - 11}l6 7-6 7-6-7z" fill="${EMERGENCY}"/>`, label: 'emergency rotation' },
    { swatch: (x: number) => `<rect x="${x}" y="${y - 9}" width="18" height="10" rx="2" fill="${PHASE_COLOURS.active}" fill-opacity="0.55"/>`, label: 'planned (after now)' },
  ];
  let x = MARGIN;
  const parts = ['<g class="legend" font-size="11">'];
  for (const item of items) {
    const itemWidth = 24 + item.label.length * 6.4 + 18;
    if (x > MARGIN && x + itemWidth > frame.width - MARGIN) {
      x = MARGIN;
      y += 20;
    }
    parts.push(item.swatch(Math.round(x)), `<text x="${Math.round(x) + 24}" y="${y}" fill="${INK}">${item.label}</text>`);
    x += itemWidth;
  }
  parts.push('</g>');
  return { markup: parts.join(''), bottom: y + 6 };
}
