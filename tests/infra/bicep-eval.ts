import { AZURE_CLOUD, builtins, type Environment } from './bicep-functions';
import type { BicepLoop, BicepValue } from './bicep-reader';
import { multilineEnd, multilineValue } from './bicep-text';

/**
 * Evaluates the Bicep expressions this repository's names, settings and policies are built from, with the
 * handful of functions they use, so tests can check values (a storage account name for an awkward environment
 * name, the CALLER_POLICY JSON) rather than source text. The functions themselves are in bicep-functions.ts;
 * a file's symbols (parameters, variables, resources) in bicep-scope.ts.
 */

export { BicepFail, composite, dateTimeAdd, uniqueString, type Environment } from './bicep-functions';

type Value = unknown;
type Token = { t: 'str'; chunks: Array<{ text: string } | { expr: string }> } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

const OPERATORS = ['=>', '==', '!=', '<=', '>=', '&&', '||', '??', '.?', '(', ')', '[', ']', '{', '}', ',', ':', '.', '?', '!', '<', '>', '\n'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r') i += 1;
    else if (text.startsWith("'''", i)) {
      const end = multilineEnd(text, i);
      tokens.push({ t: 'str', chunks: [{ text: multilineValue(text.slice(i, end)) }] });
      i = end;
    } else if (c === "'") {
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
  | { k: 'for'; item: string; index?: string; iterable: Node; condition?: Node; body: Node }
  | { k: 'lambda'; param: string; body: Node };

const LEVELS = [['??'], ['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>=']];

function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let p = 0;
  const isOp = (v: string): boolean => tokens[p]?.t === 'op' && (tokens[p] as { v: string }).v === v;
  const isWord = (v: string, at = p): boolean => tokens[at]?.t === 'id' && (tokens[at] as { v: string }).v === v;
  const newlines = (): void => {
    while (isOp('\n')) p += 1;
  };
  const name = (): string => {
    const token = tokens[p++];
    if (token?.t !== 'id') throw new Error(`a name expected in ${text}`);
    return token.v;
  };
  /** `[for item in iterable: body]` or `[for (item, index) in iterable: if (condition) body]`, after `[`. */
  const loop = (): Node => {
    p += 1;
    let item: string;
    let index: string | undefined;
    if (isOp('(')) {
      p += 1;
      item = name();
      take(',');
      index = name();
      take(')');
    } else item = name();
    if (!isWord('in')) throw new Error(`"in" expected in ${text}`);
    p += 1;
    const iterable = ternary();
    take(':');
    newlines();
    let condition: Node | undefined;
    if (isWord('if') && tokens[p + 1]?.t === 'op' && (tokens[p + 1] as { v: string }).v === '(') {
      p += 2;
      condition = ternary();
      take(')');
      newlines();
    }
    const body = ternary();
    newlines();
    take(']');
    return { k: 'for', item, index, iterable, condition, body };
  };
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
      newlines();
      if (isWord('for')) return loop();
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
      case 'for': {
        const items = run(node.iterable, locals);
        if (!Array.isArray(items)) throw new Error(`a loop over something that is not an array in ${text}`);
        const out: Value[] = [];
        items.forEach((item: Value, index) => {
          const scope = new Map([...locals, [node.item, item]]);
          if (node.index !== undefined) scope.set(node.index, index);
          if (node.condition === undefined || run(node.condition, scope) === true) out.push(run(node.body, scope));
        });
        return out;
      }
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
    case 'for':
      return loopScopes(value.loop, value.condition, lookup, env).map((scope) => evaluateValue(value.body, scope, env));
    case 'null':
      return null;
    case 'expression':
      return evaluateExpression(value.text, lookup, env);
    default:
      return value.value;
  }
}

/**
 * The scopes of a loop's items: the loop variables (item, index) over `lookup`, one per item its
 * condition keeps (ARM evaluates a loop's `if` per item).
 */
export function loopScopes(loop: BicepLoop, condition: string | undefined, lookup: (name: string) => Value, env?: Environment): Array<(name: string) => Value> {
  const items = evaluateValue(loop.iterable, lookup, env);
  if (!Array.isArray(items)) throw new Error(`a loop over something that is not an array: ${loop.iterable.text}`);
  const scopes = items.map((item: Value, index) => (name: string): Value => (name === loop.item ? item : name === loop.index ? index : lookup(name)));
  return condition === undefined ? scopes : scopes.filter((scope) => evaluateExpression(condition, scope, env) === true);
}
