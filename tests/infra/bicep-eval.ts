import { createHash } from 'node:crypto';
import type { BicepFile, BicepValue } from './bicep-reader';

/**
 * Evaluates the Bicep expressions this repository's names, settings and policies are built from, with the
 * handful of functions they use, so tests can check values (a storage account name for an awkward environment
 * name, the CALLER_POLICY JSON) rather than source text. ARM's uniqueString() hash is not published: the
 * stand-in here has its shape (13 characters of a-z and 2-7), which is what name-validity checks need.
 */
export class BicepFail extends Error {}

type Value = unknown;
type Token = { t: 'str'; chunks: Array<{ text: string } | { expr: string }> } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

const OPERATORS = ['=>', '==', '!=', '<=', '>=', '&&', '||', '??', '.?', '(', ')', '[', ']', '{', '}', ',', ':', '.', '?', '!', '<', '>', '\n'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r') i += 1;
    else if (c === "'") {
      const chunks: Array<{ text: string } | { expr: string }> = [];
      let literal = '';
      i += 1;
      while (text[i] !== "'") {
        if (i >= text.length) throw new Error(`unterminated string in ${text}`);
        if (text[i] === '\\') {
          literal += { n: '\n', t: '\t', r: '\r' }[text[i + 1]] ?? text[i + 1];
          i += 2;
        } else if (text.startsWith('${', i)) {
          let depth = 1;
          let j = i + 2;
          while (depth > 0) {
            if (text[j] === "'") j = text.indexOf("'", j + 1);
            else if (text[j] === '{') depth += 1;
            else if (text[j] === '}') depth -= 1;
            j += 1;
          }
          chunks.push({ text: literal }, { expr: text.slice(i + 2, j - 1) });
          literal = '';
          i = j;
        } else literal += text[i++];
      }
      chunks.push({ text: literal });
      tokens.push({ t: 'str', chunks });
      i += 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d+/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (!op) throw new Error(`unexpected "${c}" in ${text}`);
      tokens.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return tokens;
}

/** A stand-in for ARM's uniqueString: deterministic, 13 characters from ARM's base32 alphabet. */
export function uniqueString(...parts: string[]): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const digest = createHash('sha256').update(parts.join('|')).digest();
  return Array.from({ length: 13 }, (_, k) => alphabet[digest[k] % 32]).join('');
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

const AZURE_CLOUD: Environment = { subscriptionId: '00000000-0000-0000-0000-0000000000aa', tenantId: '00000000-0000-0000-0000-0000000000bb', loginEndpoint: 'https://login.microsoftonline.com/' };

function builtins(env: Environment): Record<string, (...args: Value[]) => Value> {
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

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'tpl'; parts: Array<string | Node> }
  | { k: 'id'; name: string }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'member'; target: Node; name: string }
  | { k: 'index'; target: Node; key: Node }
  | { k: 'not'; e: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'tern'; c: Node; a: Node; b: Node }
  | { k: 'arr'; items: Node[] }
  | { k: 'obj'; entries: Array<[string | Node, Node]> }
  | { k: 'lambda'; param: string; body: Node };

const LEVELS = [['??'], ['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>=']];

function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let p = 0;
  const isOp = (v: string): boolean => tokens[p]?.t === 'op' && (tokens[p] as { v: string }).v === v;
  const take = (v: string): void => {
    if (!isOp(v)) throw new Error(`expected "${v}" in ${text}`);
    p += 1;
  };
  const separators = (): void => {
    while (isOp('\n') || isOp(',')) p += 1;
  };
  const ternary = (): Node => {
    const c = binary(0);
    if (!isOp('?')) return c;
    p += 1;
    const a = ternary();
    take(':');
    return { k: 'tern', c, a, b: ternary() };
  };
  const binary = (level: number): Node => {
    if (level === LEVELS.length) return unary();
    let l = binary(level + 1);
    while (LEVELS[level].some(isOp)) {
      const op = (tokens[p++] as { v: string }).v;
      l = { k: 'bin', op, l, r: binary(level + 1) };
    }
    return l;
  };
  const unary = (): Node => {
    if (isOp('!')) {
      p += 1;
      return { k: 'not', e: unary() };
    }
    let node = primary();
    for (;;) {
      if (isOp('.') || isOp('.?')) {
        p += 1;
        node = { k: 'member', target: node, name: (tokens[p++] as { v: string }).v };
      } else if (isOp('[')) {
        p += 1;
        const key = ternary();
        take(']');
        node = { k: 'index', target: node, key };
      } else return node;
    }
  };
  const list = (close: string, item: () => void): void => {
    separators();
    while (!isOp(close)) {
      item();
      separators();
    }
    p += 1;
  };
  const primary = (): Node => {
    const token = tokens[p++];
    if (!token) throw new Error(`unexpected end of ${text}`);
    if (token.t === 'num') return { k: 'lit', v: token.v };
    if (token.t === 'str') return { k: 'tpl', parts: token.chunks.map((c) => ('text' in c ? c.text : parseExpression(c.expr))) };
    if (token.t === 'op' && token.v === '(') {
      const inner = ternary();
      take(')');
      return inner;
    }
    if (token.t === 'op' && token.v === '[') {
      const items: Node[] = [];
      list(']', () => items.push(ternary()));
      return { k: 'arr', items };
    }
    if (token.t === 'op' && token.v === '{') {
      const entries: Array<[string | Node, Node]> = [];
      list('}', () => {
        const keyToken = tokens[p];
        const key = keyToken.t === 'id' ? ((p += 1), keyToken.v) : primary();
        take(':');
        entries.push([key, ternary()]);
      });
      return { k: 'obj', entries };
    }
    if (token.t !== 'id') throw new Error(`unexpected token in ${text}`);
    if (token.v === 'true' || token.v === 'false') return { k: 'lit', v: token.v === 'true' };
    if (token.v === 'null') return { k: 'lit', v: null };
    if (isOp('=>')) {
      p += 1;
      return { k: 'lambda', param: token.v, body: ternary() };
    }
    if (isOp('(')) {
      p += 1;
      const args: Node[] = [];
      list(')', () => args.push(ternary()));
      return { k: 'call', name: token.v, args };
    }
    return { k: 'id', name: token.v };
  };
  separators();
  const node = ternary();
  if (p !== tokens.length) throw new Error(`trailing tokens in ${text}`);
  return node;
}

const BINARY: Record<string, (l: Value, r: Value) => Value> = {
  '==': (l, r) => JSON.stringify(l) === JSON.stringify(r),
  '!=': (l, r) => JSON.stringify(l) !== JSON.stringify(r),
  '<': (l, r) => Number(l) < Number(r),
  '>': (l, r) => Number(l) > Number(r),
  '<=': (l, r) => Number(l) <= Number(r),
  '>=': (l, r) => Number(l) >= Number(r),
};

/** Evaluates `text` where `lookup` resolves identifiers (params, vars, module and resource symbols). */
export function evaluateExpression(text: string, lookup: (name: string) => Value, env: Environment = AZURE_CLOUD): Value {
  const fns = builtins(env);
  const run = (node: Node, locals: ReadonlyMap<string, Value>): Value => {
    switch (node.k) {
      case 'lit':
        return node.v;
      case 'tpl':
        return node.parts.map((part) => (typeof part === 'string' ? part : String(run(part, locals)))).join('');
      case 'id':
        return locals.has(node.name) ? locals.get(node.name) : lookup(node.name);
      case 'call': {
        const fn = fns[node.name];
        if (!fn) throw new Error(`the evaluator does not implement ${node.name}()`);
        return fn(...node.args.map((a) => run(a, locals)));
      }
      case 'member': {
        const target = run(node.target, locals);
        return target === null || target === undefined ? undefined : (target as Record<string, Value>)[node.name];
      }
      case 'index':
        return (run(node.target, locals) as Record<string, Value>)[String(run(node.key, locals))];
      case 'not':
        return run(node.e, locals) !== true;
      case 'bin': {
        // Short-circuits as ARM does: the branch not taken is never evaluated (fail() in it never fires).
        const l = run(node.l, locals);
        if (node.op === '??') return l ?? run(node.r, locals);
        if (node.op === '||') return l === true || run(node.r, locals) === true;
        if (node.op === '&&') return l === true && run(node.r, locals) === true;
        return BINARY[node.op](l, run(node.r, locals));
      }
      case 'tern':
        return run(node.c, locals) === true ? run(node.a, locals) : run(node.b, locals);
      case 'arr':
        return node.items.map((i) => run(i, locals));
      case 'obj':
        return Object.fromEntries(node.entries.map(([k, v]) => [typeof k === 'string' ? k : String(run(k, locals)), run(v, locals)]));
      case 'lambda':
        return (x: Value): Value => run(node.body, new Map([...locals, [node.param, x]]));
    }
  };
  return run(parseExpression(text), new Map());
}

/** Evaluates a value read by bicep-reader (objects and arrays entry by entry). */
export function evaluateValue(value: BicepValue, lookup: (name: string) => Value, env?: Environment): Value {
  switch (value.kind) {
    case 'object':
      return Object.fromEntries([...value.entries].map(([k, v]) => [k.startsWith("'") ? String(evaluateExpression(k, lookup, env)) : k, evaluateValue(v, lookup, env)]));
    case 'array':
      return value.items.map((v) => evaluateValue(v, lookup, env));
    case 'null':
      return null;
    case 'expression':
      return evaluateExpression(value.text, lookup, env);
    default:
      return value.value;
  }
}

/**
 * A scope for one Bicep file: parameters from `params` (else their defaults), vars evaluated on first use,
 * and any other symbol (module outputs, resources) from `symbols`.
 */
export function fileScope(file: BicepFile, params: Record<string, Value>, symbols: Record<string, Value> = {}, env?: Environment): (name: string) => Value {
  const cache = new Map<string, Value>();
  const lookup = (name: string): Value => {
    if (name in params) return params[name];
    if (cache.has(name)) return cache.get(name);
    const param = file.params.get(name);
    if (param) {
      if (!param.defaultValue) throw new Error(`parameter ${name} has no value and no default`);
      return evaluateValue(param.defaultValue, lookup, env);
    }
    const variable = file.vars.get(name);
    if (variable) {
      const value = evaluateValue(variable, lookup, env);
      cache.set(name, value);
      return value;
    }
    if (name in symbols) return symbols[name];
    throw new Error(`unknown symbol ${name}`);
  };
  return lookup;
}

