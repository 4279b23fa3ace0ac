import { describeKeyRing } from '../../src/keys/key-listing';
import { computePhases } from '../../src/keys/phases';
import { renderKeyTimeline } from '../../src/keys/timeline-svg';
import { allElements, byClass, parseSvg, textOf, type SvgElement } from '../support/svg';
import { constructedRing, HOUR, NOW, RETENTION, VERSIONS } from './timeline-fixture';

const NEXT_ROTATION = NOW + 30 * HOUR;
const at = (hours: number): number => NOW + Math.round(hours * HOUR);

function render(options: Partial<Parameters<typeof renderKeyTimeline>[1]> = {}): { svg: string; root: SvgElement } {
  const svg = renderKeyTimeline(constructedRing(), { now: NOW, nextRotation: NEXT_ROTATION, ...options });
  return { svg, root: parseSvg(svg) };
}

/** The chart's own time scale, read from the plot group: x = x0 + (t − start) / (end − start) · (x1 − x0). */
function scaleOf(root: SvgElement): (t: number) => number {
  const [plot] = byClass(root, 'plot');
  const [start, end, x0, x1] = ['data-start', 'data-end', 'data-x0', 'data-x1'].map((name) => Number(plot.attributes[name]));
  return (t) => x0 + ((t - start) / (end - start)) * (x1 - x0);
}

const spansOf = (lane: SvgElement): Array<[string, number, number | undefined]> =>
  byClass(lane, 'span').map((rect) => [rect.attributes['data-phase'], Number(rect.attributes['data-from']), rect.attributes['data-to'] === undefined ? undefined : Number(rect.attributes['data-to'])]);

describe('renderKeyTimeline', () => {
  it('is well-formed XML: an <svg> with a fixed viewBox, a title and a white background', () => {
    const { root } = render();
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attributes.viewBox).toMatch(/^0 0 960 \d+$/);
    expect(root.attributes.viewBox.split(' ').slice(2)).toEqual([root.attributes.width, root.attributes.height]);
    expect(textOf(root.children.find((child) => child.tag === 'title') as SvgElement)).toBe('Key ring timeline');
  });

  it('draws one lane per version in the order and with the phases of the key listing', () => {
    const { root } = render();
    const lanes = byClass(root, 'lane').map((lane) => ({ kid: lane.attributes['data-kid'], phase: lane.attributes['data-phase'], use: lane.attributes['data-use'] }));
    const listing = describeKeyRing(constructedRing()).map((entry) => ({ kid: entry.kid, phase: entry.phase, use: 'sig' }));
    expect(lanes).toEqual(listing);
    for (const lane of byClass(root, 'lane')) {
      // The label shows at least the first 8 characters of the kid, and the algorithm.
      expect(textOf(lane)).toContain(lane.attributes['data-kid'].slice(0, 8));
      expect(textOf(lane)).toContain('RS256');
    }
  });

  it('colours the spans each version went through, from the dates it can justify', () => {
    const { root } = render();
    const lanes = Object.fromEntries(byClass(root, 'lane').map((lane) => [lane.attributes['data-kid'].split('-')[0], spansOf(lane)]));
    expect(lanes).toEqual({
      // announced now, signs from +1.5 h
      next: [['announced', at(-0.5), at(1.5)], ['active', at(1.5), undefined]],
      // disabled beside `current` before it ever signed: drawn disabled from its creation
      surplus: [['disabled', at(-3), undefined]],
      // active, retires when `next` activates, disabled by the timer after the retention
      current: [['announced', at(-3), at(-1)], ['active', at(-1), at(1.5)], ['retired', at(1.5), at(1.5) + RETENTION], ['disabled', at(1.5) + RETENTION, undefined]],
      // the emergency key: signed at once, retired when `current` activated
      emerg: [['active', at(-20), at(-1)], ['retired', at(-1), at(-1) + RETENTION], ['disabled', at(-1) + RETENTION, undefined]],
      // replaced by the emergency rotation: disabled at that moment, never retired
      second: [['announced', at(-72), at(-70)], ['active', at(-70), at(-20)], ['disabled', at(-20), undefined]],
      // retired when `second` activated (although `second` is disabled now), disabled after the retention
      first: [['active', at(-100), at(-70)], ['retired', at(-70), at(-70) + RETENTION], ['disabled', at(-70) + RETENTION, undefined]],
    });
  });

  it('places every span, the now line and the next rotation at the x of their time', () => {
    const { root } = render();
    const x = scaleOf(root);
    const [plot] = byClass(root, 'plot');
    const right = Number(plot.attributes['data-x1']);
    for (const rect of byClass(root, 'span')) {
      const from = Number(rect.attributes['data-from']);
      const to = rect.attributes['data-to'] === undefined ? undefined : Number(rect.attributes['data-to']);
      expect(Number(rect.attributes.x)).toBeCloseTo(x(from), 0);
      expect(Number(rect.attributes.x) + Number(rect.attributes.width)).toBeCloseTo(to === undefined ? right : Math.max(x(to), x(from) + 1.5), 0);
    }
    const [now] = byClass(root, 'now').filter((element) => element.tag === 'line');
    expect(Number(now.attributes['data-time'])).toBe(NOW);
    expect(Number(now.attributes.x1)).toBeCloseTo(x(NOW), 0);
    const [next] = byClass(root, 'next-rotation').filter((element) => element.tag === 'line');
    expect(Number(next.attributes['data-time'])).toBe(NEXT_ROTATION);
    expect(Number(next.attributes.x1)).toBeCloseTo(x(NEXT_ROTATION), 0);
    expect(Number(next.attributes.x1)).toBeGreaterThan(Number(now.attributes.x1));
  });

  it('marks the emergency rotation on the emergency key and the key it disabled', () => {
    const { root } = render();
    const markers = byClass(root, 'emergency');
    expect(markers.map((marker) => marker.attributes)).toEqual([
      expect.objectContaining({ 'data-kid': VERSIONS[2].kid, 'data-replaced': VERSIONS[1].kid, 'data-time': String(at(-20)) }),
    ]);
    expect(allElements(markers[0]).filter((element) => element.tag === 'path')).toHaveLength(2); // one diamond per lane
    expect(textOf(root)).toContain('origin: emergency');
  });

  it('omits the next-rotation mark when there is none and says so when the ring is empty', () => {
    expect(byClass(render({ nextRotation: undefined }).root, 'next-rotation')).toEqual([]);
    const empty = parseSvg(renderKeyTimeline([], { now: NOW }));
    expect(byClass(empty, 'lane')).toEqual([]);
    expect(textOf(empty)).toContain('no key versions yet');
  });

  it('renders a kid, a tag value and a title with markup in them as text, never as elements', () => {
    const hostile = '<script>alert(1)</script>&amp;"\'';
    const versions = [{ ...VERSIONS[3], kid: `${hostile}kid`, tags: { origin: hostile, note: 'bell\u0007 and NUL\u0000 and a lone \uD800' } }];
    const svg = renderKeyTimeline(computePhases(versions, NOW, { alg: 'RS256', retentionSeconds: RETENTION }), { now: NOW, title: `ring ${hostile}` });
    const root = parseSvg(svg); // still well-formed, control characters included
    expect(svg.toLowerCase()).not.toContain('<script');
    expect(allElements(root).map((element) => element.tag)).not.toContain('script');
    expect(allElements(root).map((element) => element.tag.toLowerCase()).filter((tag) => tag.includes('script') || tag === 'foreignobject')).toEqual([]);
    const [lane] = byClass(root, 'lane');
    expect(lane.attributes['data-kid']).toBe(`${hostile}kid`);
    expect(textOf(root)).toContain('<script>alert(1)</script>'); // shown as text, decoded back by the parser
    expect(textOf(root)).toContain(`ring ${hostile}`);
    expect(textOf(root)).toContain('origin: <script>alert(1)<…'); // truncated before escaping: no entity is cut
  });

  it('loads and runs nothing: no script, event handler, link or external reference', () => {
    const { svg, root } = render();
    for (const element of allElements(root)) {
      expect(element.tag).not.toMatch(/^(script|a|image|use|foreignObject|iframe|style)$/i);
      for (const name of Object.keys(element.attributes)) expect(name).not.toMatch(/^on|href$/i);
    }
    expect(svg).not.toMatch(/url\(|@import|javascript:/i);
    expect(svg.match(/https?:\/\/[^"]+/g)).toEqual(['http://www.w3.org/2000/svg']); // the namespace is the only URL
  });

  it('draws encryption lanes below the signing lanes the same way', () => {
    const encryption = computePhases([{ ...VERSIONS[3], kid: 'enc-key-1', alg: 'RS256' }], NOW, { alg: 'RS256', retentionSeconds: RETENTION });
    const { root } = render({ encryption });
    const lanes = byClass(root, 'lane');
    expect(lanes.at(-1)?.attributes).toEqual(expect.objectContaining({ 'data-kid': 'enc-key-1', 'data-use': 'enc', 'data-phase': 'active' }));
    expect(lanes.filter((lane) => lane.attributes['data-use'] === 'sig')).toHaveLength(VERSIONS.length);
    expect(textOf(lanes.at(-1) as SvgElement)).toContain('RS256 · enc');
  });

  it('has a legend naming every phase and marker', () => {
    const [legend] = byClass(render().root, 'legend');
    for (const label of ['announced', 'active', 'retired', 'disabled', 'now', 'next rotation', 'emergency rotation', 'planned (after now)']) expect(textOf(legend)).toContain(label);
  });
});
