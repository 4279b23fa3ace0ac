import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One element of a parsed SVG: its tag, attributes (without prefix), text and children, in order. */
export interface SvgElement {
  tag: string;
  attributes: Record<string, string>;
  text: string;
  children: SvgElement[];
}

type Ordered = Record<string, unknown>;

function toElement(node: Ordered): SvgElement | undefined {
  const tag = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
  if (tag === undefined) return undefined;
  const attributes = (node[':@'] ?? {}) as Record<string, string>;
  const content = (node[tag] ?? []) as Ordered[];
  const text = content.filter((child) => '#text' in child).map((child) => String(child['#text'])).join('');
  const children = content.map(toElement).filter((child): child is SvgElement => child !== undefined);
  return { tag, attributes, text, children };
}

/**
 * Parses SVG text with a real XML parser after validating it (throws with the parser's reason when
 * it is not well-formed XML). Entities are decoded, so text reads as a browser would show it.
 */
export function parseSvg(svg: string): SvgElement {
  const validation = XMLValidator.validate(svg);
  if (validation !== true) throw new Error(`not well-formed XML: ${validation.err.msg} at line ${validation.err.line}`);
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: false });
  const document = parser.parse(svg) as Ordered[];
  const root = document.map(toElement).find((element) => element?.tag === 'svg');
  if (!root) throw new Error('no <svg> root element');
  return root;
}

/** Every element below `root` (itself included), depth first, in document order. */
export function allElements(root: SvgElement): SvgElement[] {
  return [root, ...root.children.flatMap(allElements)];
}

export const byClass = (root: SvgElement, className: string): SvgElement[] =>
  allElements(root).filter((element) => (element.attributes.class ?? '').split(' ').includes(className));

/** All text of an element and its descendants, as a reader sees it. */
export const textOf = (element: SvgElement): string => [element.text, ...element.children.map(textOf)].join('');
