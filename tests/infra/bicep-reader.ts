import { readFileSync } from 'node:fs';
import { multilineEnd, multilineValue, scanTo, skipString, stripComments } from './bicep-text';

export { multilineEnd, multilineValue, stripComments } from './bicep-text';

/**
 * A small reader for the Bicep this repository writes (no Bicep compiler runs here). It removes comments,
 * splits a file into statements and reads object, array, loop and literal values into a tree; anything else
 * (a function call, a ternary, an interpolated string) is kept as its source text for bicep-eval.ts. A test
 * that reads this tree can not be fooled by commented-out code or by text in a description.
 */
export type BicepValue =
  | { kind: 'object'; entries: Map<string, BicepValue>; text: string }
  | { kind: 'array'; items: BicepValue[]; text: string }
  | { kind: 'for'; loop: BicepLoop; condition?: string; body: BicepValue; text: string }
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'bool'; value: boolean; text: string }
  | { kind: 'null'; text: string }
  | { kind: 'expression'; text: string };

/** The head of `[for item in iterable: …]` or `[for (item, index) in iterable: …]`. */
export interface BicepLoop {
  item: string;
  index?: string;
  iterable: BicepValue;
}

export interface BicepParam {
  name: string;
  type: string;
  defaultValue?: BicepValue;
  decorators: string[];
}

export interface BicepResource {
  symbol: string;
  type: string;
  apiVersion: string;
  existing: boolean;
  /** Text of `if (...)`, without the parentheses (inside the loop for a loop: it filters the items). */
  condition?: string;
  /** Set when the declaration is a loop (`= [for … in …: {…}]`): one resource per item. */
  loop?: BicepLoop;
  body: Extract<BicepValue, { kind: 'object' }>;
}

export interface BicepModule {
  symbol: string;
  path: string;
  condition?: string;
  loop?: BicepLoop;
  body: Extract<BicepValue, { kind: 'object' }>;
}

export interface BicepFile {
  targetScope?: string;
  extensions: string[];
  params: Map<string, BicepParam>;
  vars: Map<string, BicepValue>;
  resources: BicepResource[];
  modules: BicepModule[];
  outputs: Map<string, { type: string; value: BicepValue }>;
}

/** A decorator such as @description('…') or @allowed([…]) that may span lines. */
function isDecorator(line: string): boolean {
  const open = line.indexOf('(');
  return /^@[\w.]+\(/.test(line) && scanTo(line, open + 1, ')') === line.length - 1;
}

/** Statements at depth 0, one per logical line, each with the decorators written above it. */
function statements(code: string): Array<{ decorators: string[]; head: string }> {
  const out: Array<{ decorators: string[]; head: string }> = [];
  let i = 0;
  let decorators: string[] = [];
  while (i < code.length) {
    const end = scanTo(code, i, '\n');
    const line = code.slice(i, end).trim();
    i = end + 1;
    if (!line) continue;
    // A ternary continued on the next line belongs to the statement before it.
    if (/^[?:]/.test(line) && out.length > 0) out[out.length - 1].head += ` ${line}`;
    else if (isDecorator(line)) decorators.push(line);
    else {
      out.push({ decorators, head: line });
      decorators = [];
    }
  }
  return out;
}

function skipSpace(text: string, i: number): number {
  let j = i;
  while (j < text.length && /\s/.test(text[j])) j += 1;
  return j;
}

/** `[for item in iterable: body]`, `[for (item, index) in iterable: if (condition) body]`, from the `[` at `i`. */
function parseLoopAt(text: string, i: number): { value: Extract<BicepValue, { kind: 'for' }>; end: number } {
  const close = scanTo(text, i + 1, ']');
  if (text[close] !== ']') throw new Error(`unterminated loop: ${text.slice(i, i + 40)}`);
  let j = skipSpace(text, i + 1);
  const fail = (what: string): never => {
    throw new Error(`${what} expected in the loop at: ${text.slice(j, j + 40)}`);
  };
  const word = (expected: string): void => {
    if (!text.startsWith(expected, j) || /\w/.test(text[j + expected.length] ?? '')) fail(`"${expected}"`);
    j = skipSpace(text, j + expected.length);
  };
  const punctuation = (expected: string): void => {
    if (text[j] !== expected) fail(`"${expected}"`);
    j = skipSpace(text, j + 1);
  };
  const identifier = (): string => {
    const name = /^[A-Za-z_]\w*/.exec(text.slice(j))?.[0] ?? fail('a loop variable');
    j = skipSpace(text, j + name.length);
    return name;
  };
  word('for');
  let item: string;
  let index: string | undefined;
  if (text[j] === '(') {
    punctuation('(');
    item = identifier();
    punctuation(',');
    index = identifier();
    punctuation(')');
  } else item = identifier();
  word('in');
  const colon = scanTo(text, j, ':');
  if (colon >= close) fail('":"');
  const iterable = parseValue(text.slice(j, colon).trim());
  j = skipSpace(text, colon + 1);
  let condition: string | undefined;
  if (/^if\s*\(/.test(text.slice(j, close))) {
    const open = text.indexOf('(', j);
    const shut = scanTo(text, open + 1, ')');
    condition = text.slice(open + 1, shut).trim();
    j = skipSpace(text, shut + 1);
  }
  const body = parseValue(text.slice(j, close).trim());
  const loop: BicepLoop = index === undefined ? { item, iterable } : { item, index, iterable };
  const value: Extract<BicepValue, { kind: 'for' }> = { kind: 'for', loop, body, text: text.slice(i, close + 1) };
  if (condition !== undefined) value.condition = condition;
  return { value, end: close + 1 };
}

function parseValueAt(text: string, i: number): { value: BicepValue; end: number } {
  while (text[i] === ' ' || text[i] === '\t') i += 1;
  const start = i;
  let value: BicepValue | undefined;
  let end: number;
  if (text[i] === '[' && /^\[\s*for\s/.test(text.slice(i))) {
    ({ value, end } = parseLoopAt(text, i));
  } else if (text[i] === '{') {
    const close = scanTo(text, i + 1, '}');
    const entries = new Map<string, BicepValue>();
    let j = i + 1;
    while (j < close) {
      while (j < close && /[\s,]/.test(text[j])) j += 1;
      if (j >= close) break;
      const keyMatch = /^(?:([A-Za-z_$][\w$]*)|'((?:[^'\\]|\\.)*)')\s*:/.exec(text.slice(j, close));
      if (!keyMatch) throw new Error(`object key expected at: ${text.slice(j, j + 40)}`);
      j += keyMatch[0].length;
      const entry = parseValueAt(text, j);
      // An interpolated key ('${id}') stays source text, quotes included, for the evaluator.
      entries.set(keyMatch[1] ?? (keyMatch[2].includes('${') ? `'${keyMatch[2]}'` : keyMatch[2]), entry.value);
      j = entry.end;
    }
    end = close + 1;
    value = { kind: 'object', entries, text: text.slice(start, end) };
  } else if (text[i] === '[') {
    const close = scanTo(text, i + 1, ']');
    const items: BicepValue[] = [];
    let j = i + 1;
    while (j < close) {
      while (j < close && /[\s,]/.test(text[j])) j += 1;
      if (j >= close) break;
      const item = parseValueAt(text, j);
      items.push(item.value);
      j = item.end;
    }
    end = close + 1;
    value = { kind: 'array', items, text: text.slice(start, end) };
  } else {
    end = scanTo(text, i, ',\n');
  }
  // A literal followed by more expression (`{…}.x`, `'a' == b`) is an expression after all.
  const rest = scanTo(text, end, ',\n');
  if (value && text.slice(end, rest).trim() !== '') value = undefined;
  if (!value) {
    end = rest;
    value = literal(text.slice(start, end).trim());
  }
  return { value, end };
}

function literal(source: string): BicepValue {
  if (/^-?\d+$/.test(source)) return { kind: 'number', value: Number(source), text: source };
  if (source === 'true' || source === 'false') return { kind: 'bool', value: source === 'true', text: source };
  if (source === 'null') return { kind: 'null', text: source };
  if (source.startsWith("'''") && multilineEnd(source, 0) === source.length) return { kind: 'string', value: multilineValue(source), text: source };
  if (source.startsWith("'") && !source.startsWith("'''") && skipString(source, 0) === source.length && !/\$\{/.test(source)) {
    return { kind: 'string', value: source.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c), text: source };
  }
  return { kind: 'expression', text: source };
}

/** Reads one value (object, array, literal or expression text). */
export function parseValue(text: string): BicepValue {
  const { value, end } = parseValueAt(text, 0);
  if (text.slice(end).trim() !== '') throw new Error(`trailing text after value: ${text.slice(end, end + 40)}`);
  return value;
}

type ObjectValue = Extract<BicepValue, { kind: 'object' }>;

/** What follows `=` in a resource or module declaration: `{…}`, `if (condition) {…}`, or a loop of `{…}`. */
function declaration(text: string, what: string): { condition?: string; loop?: BicepLoop; body: ObjectValue } {
  let rest = text.trim();
  let condition: string | undefined;
  if (/^if\s*\(/.test(rest)) {
    const open = rest.indexOf('(');
    const close = scanTo(rest, open + 1, ')');
    condition = rest.slice(open + 1, close).trim();
    rest = rest.slice(close + 1).trim();
  }
  const value = parseValue(rest);
  if (value.kind === 'for' && condition === undefined) {
    if (value.body.kind !== 'object') throw new Error(`${what}: expected an object body in the loop`);
    return value.condition === undefined ? { loop: value.loop, body: value.body } : { condition: value.condition, loop: value.loop, body: value.body };
  }
  if (value.kind !== 'object') throw new Error(`${what}: expected an object body`);
  return condition === undefined ? { body: value } : { condition, body: value };
}

export function parseBicep(source: string): BicepFile {
  const file: BicepFile = { extensions: [], params: new Map(), vars: new Map(), resources: [], modules: [], outputs: new Map() };
  for (const { decorators, head } of statements(stripComments(source))) {
    let m: RegExpExecArray | null;
    if ((m = /^targetScope\s*=\s*'([^']+)'$/.exec(head))) file.targetScope = m[1];
    else if ((m = /^extension\s+(\S+)$/.exec(head))) file.extensions.push(m[1]);
    else if ((m = /^param\s+(\w+)\s+(\w+)(?:\s*=\s*([\s\S]+))?$/.exec(head))) {
      file.params.set(m[1], { name: m[1], type: m[2], defaultValue: m[3] === undefined ? undefined : parseValue(m[3]), decorators });
    } else if ((m = /^var\s+(\w+)\s*=\s*([\s\S]+)$/.exec(head))) file.vars.set(m[1], parseValue(m[2]));
    else if ((m = /^output\s+(\w+)\s+(\w+)\s*=\s*([\s\S]+)$/.exec(head))) file.outputs.set(m[1], { type: m[2], value: parseValue(m[3]) });
    else if ((m = /^resource\s+(\w+)\s+'([^'@]+)@([^']+)'(\s+existing)?\s*=([\s\S]+)$/.exec(head))) {
      file.resources.push({ symbol: m[1], type: m[2], apiVersion: m[3], existing: Boolean(m[4]), ...declaration(m[5], m[1]) });
    } else if ((m = /^module\s+(\w+)\s+'([^']+)'\s*=([\s\S]+)$/.exec(head))) {
      file.modules.push({ symbol: m[1], path: m[2], ...declaration(m[3], m[1]) });
    } else throw new Error(`a statement this reader does not know: ${head.slice(0, 60)}`);
  }
  return file;
}

export function readBicep(path: string): BicepFile {
  return parseBicep(readFileSync(path, 'utf8'));
}

/** obj.a.b of an object value; throws when a step is missing or not an object. */
export function at(value: BicepValue, ...path: string[]): BicepValue {
  let current = value;
  for (const key of path) {
    if (current.kind !== 'object' || !current.entries.has(key)) throw new Error(`no ${path.join('.')} (stopped at ${key}) in ${current.text.slice(0, 60)}`);
    current = current.entries.get(key) as BicepValue;
  }
  return current;
}

/** The top-level arguments of a call such as guid(a, b, c), as source text. */
export function callArguments(text: string, name: string): string[] {
  const open = text.indexOf(`${name}(`);
  if (open < 0) throw new Error(`no ${name}( in ${text}`);
  const args: string[] = [];
  let i = open + name.length + 1;
  for (;;) {
    const end = scanTo(text, i, ',)');
    args.push(text.slice(i, end).trim());
    if (text[end] !== ',') return args;
    i = end + 1;
  }
}
