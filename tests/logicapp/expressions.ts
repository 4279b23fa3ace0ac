/**
 * A tiny evaluator for the Workflow Definition Language expressions the workflows use — only those
 * functions: parameters(), triggerBody(), triggerOutputs(), body(), outputs(), actions(), equals(),
 * coalesce(), json(), with `?['x']` / `['x']` property access and `@{…}` string interpolation.
 * Anything else throws, so the replay can not silently pass over an expression it does not understand.
 */
export interface ActionResult {
  status: 'Succeeded' | 'Failed' | 'Skipped' | 'TimedOut';
  /** Http: { statusCode, headers, body } (absent when no response came back); Compose: the value. */
  outputs?: unknown;
}

export interface ExpressionContext {
  parameters: Record<string, unknown>;
  trigger: { body: unknown; headers: Record<string, string> };
  results: Record<string, ActionResult>;
}

export const SUPPORTED_FUNCTIONS = ['parameters', 'triggerBody', 'triggerOutputs', 'body', 'outputs', 'actions', 'equals', 'coalesce', 'json'] as const;

/** outputs('X').body of an Http action, or undefined. */
function httpBody(result: ActionResult | undefined): unknown {
  const outputs = result?.outputs;
  return outputs && typeof outputs === 'object' && 'body' in outputs ? outputs.body : undefined;
}

type Token = { kind: 'name' | 'string' | 'number' | 'punct'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i += 1;
    else if ("()[],?".includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i += 1;
    } else if (c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length) {
        if (text[j] === "'" && text[j + 1] === "'") {
          value += "'";
          j += 2;
        } else if (text[j] === "'") break;
        else value += text[j++];
      }
      tokens.push({ kind: 'string', value });
      i = j + 1;
    } else if (/[0-9-]/.test(c)) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!match) throw new Error(`bad number in ${text}`);
      tokens.push({ kind: 'number', value: match[0] });
      i += match[0].length;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      if (!match) throw new Error(`unexpected "${c}" in ${text}`);
      tokens.push({ kind: 'name', value: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

function evaluateTokens(tokens: Token[], context: ExpressionContext): unknown {
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const expect = (value: string): void => {
    if (tokens[position]?.value !== value) throw new Error(`expected "${value}"`);
    position += 1;
  };

  const primary = (): unknown => {
    const token = tokens[position++];
    if (!token) throw new Error('unexpected end');
    if (token.kind === 'string') return token.value;
    if (token.kind === 'number') return Number(token.value);
    if (token.kind === 'name' && (token.value === 'true' || token.value === 'false')) return token.value === 'true';
    if (token.kind !== 'name') throw new Error(`unexpected ${token.value}`);
    expect('(');
    const args: unknown[] = [];
    while (peek()?.value !== ')') {
      args.push(expression());
      if (peek()?.value === ',') position += 1;
    }
    expect(')');
    return call(token.value, args, context);
  };

  const expression = (): unknown => {
    let value = primary();
    for (;;) {
      const optional = peek()?.value === '?';
      if (optional) position += 1;
      if (peek()?.value !== '[') {
        if (optional) throw new Error('? without [');
        return value;
      }
      position += 1;
      const key = expression();
      expect(']');
      if (value === null || value === undefined) {
        if (!optional) throw new Error(`property '${String(key)}' of null without ?`);
        value = undefined;
      } else {
        value = (value as Record<string, unknown>)[String(key)];
      }
    }
  };

  const result = expression();
  if (position !== tokens.length) throw new Error('trailing tokens');
  return result;
}

function call(name: string, args: unknown[], context: ExpressionContext): unknown {
  switch (name) {
    case 'parameters':
      if (!(String(args[0]) in context.parameters)) throw new Error(`undeclared parameter ${String(args[0])}`);
      return context.parameters[String(args[0])];
    case 'triggerBody':
      return context.trigger.body;
    case 'triggerOutputs':
      return { headers: context.trigger.headers, body: context.trigger.body };
    case 'body':
      return httpBody(context.results[String(args[0])]);
    case 'outputs':
      return context.results[String(args[0])]?.outputs;
    case 'actions': {
      const result = context.results[String(args[0])];
      if (!result) throw new Error(`actions('${String(args[0])}') before it ran`);
      return { name: String(args[0]), status: result.status, outputs: result.outputs };
    }
    case 'equals':
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case 'coalesce':
      return args.find((a) => a !== null && a !== undefined) ?? null;
    case 'json':
      return JSON.parse(String(args[0])) as unknown;
    default:
      throw new Error(`the replay does not implement ${name}()`);
  }
}

/** Evaluates a workflow value: `@expr` (typed), strings with `@{expr}` (interpolated), or nested JSON. */
export function evaluate(value: unknown, context: ExpressionContext): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('@@')) return value.slice(1);
    if (value.startsWith('@') && !value.startsWith('@{')) return evaluateTokens(tokenize(value.slice(1)), context);
    return value.replace(/@\{([^}]*)\}/g, (_m, inner: string) => {
      const result = evaluateTokens(tokenize(inner), context);
      return typeof result === 'string' ? result : JSON.stringify(result);
    });
  }
  if (Array.isArray(value)) return value.map((v) => evaluate(v, context));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, context)]));
  return value;
}

/** Function names an expression string calls (for the static checks). */
export function functionsCalled(text: string): string[] {
  const names: string[] = [];
  const expressions = text.startsWith('@') && !text.startsWith('@{') ? [text.slice(1)] : [...text.matchAll(/@\{([^}]*)\}/g)].map((m) => m[1]);
  for (const expression of expressions) for (const match of expression.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) names.push(match[1]);
  return names;
}

const COMPARISONS: Record<string, (a: unknown, b: unknown) => boolean> = {
  equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  greater: (a, b) => Number(a) > Number(b),
  greaterOrEquals: (a, b) => Number(a) >= Number(b),
  less: (a, b) => Number(a) < Number(b),
  lessOrEquals: (a, b) => Number(a) <= Number(b),
};

/**
 * The condition of an If action as Logic Apps reads it: an expression string, or the designer's object form
 * ({ and: [...] }, { or: [...] }, { not: {...} }, { equals: [a, b] }, greater/less/...OrEquals).
 */
export function evaluateCondition(condition: unknown, context: ExpressionContext): boolean {
  if (typeof condition === 'string') return evaluate(condition, context) === true;
  const entries = Object.entries(condition as Record<string, unknown>);
  if (entries.length !== 1) throw new Error(`a condition has exactly one operator: ${JSON.stringify(condition)}`);
  const [operator, operand] = entries[0];
  if (operator === 'and') return (operand as unknown[]).every((c) => evaluateCondition(c, context));
  if (operator === 'or') return (operand as unknown[]).some((c) => evaluateCondition(c, context));
  if (operator === 'not') return !evaluateCondition(operand, context);
  const compare = COMPARISONS[operator];
  if (!compare) throw new Error(`the replay does not implement the condition ${operator}`);
  const [left, right] = (operand as unknown[]).map((value) => evaluate(value, context));
  return compare(left, right);
}
