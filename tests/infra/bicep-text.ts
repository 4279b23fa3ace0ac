/**
 * The text layer under bicep-reader.ts: comments, string literals (with interpolation and the multi-line form)
 * and bracket depth, so the reader splits statements and values where Bicep does and never inside a string.
 */

/** Source without // and /* *\/ comments; strings ('…' with \ escapes, '''…''') are kept as they are. */
export function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith("'''", i)) {
      const end = multilineEnd(source, i);
      out += source.slice(i, end);
      i = end;
    } else if (source[i] === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== "'") j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new Error('unterminated comment');
      out += source.slice(i, end + 2).replace(/[^\n]/g, '');
      i = end + 2;
    } else {
      out += source[i];
      i += 1;
    }
  }
  return out;
}

/**
 * Index just past the multi-line string ('''…''') starting at `i`. As Bicep's lexer does, a run of more
 * than three quotes at the end belongs to the text but its last three (`''''a''''` is `'a'`).
 */
export function multilineEnd(text: string, i: number): number {
  let close = text.indexOf("'''", i + 3);
  if (close < 0) throw new Error(`unterminated multi-line string: ${text.slice(i, i + 40)}`);
  while (text[close + 3] === "'") close += 1;
  return close + 3;
}

/** A multi-line string's value: verbatim (no escapes, no interpolation), less one leading line break. */
export function multilineValue(literalText: string): string {
  return literalText.slice(3, -3).replace(/^\r?\n/, '');
}

/** Index just past the string literal starting at `i`. */
export function skipString(text: string, i: number): number {
  if (text.startsWith("'''", i)) return multilineEnd(text, i);
  let j = i + 1;
  let depth = 0;
  while (j < text.length) {
    if (text[j] === '\\') j += 2;
    else if (text.startsWith('${', j)) {
      depth += 1;
      j += 2;
    } else if (text[j] === '}' && depth > 0) {
      depth -= 1;
      j += 1;
    } else if (text[j] === "'" && depth === 0) return j + 1;
    else if (text[j] === "'") j = skipString(text, j);
    else j += 1;
  }
  throw new Error(`unterminated string in: ${text.slice(i, i + 40)}`);
}

/** Index of the first `stops` character at bracket depth 0 from `i` (or text.length). */
export function scanTo(text: string, i: number, stops: string): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === "'") {
      j = skipString(text, j);
      continue;
    }
    if (depth === 0 && stops.includes(c)) return j;
    if ('([{'.includes(c)) depth += 1;
    else if (')]}'.includes(c)) {
      if (depth === 0) return j;
      depth -= 1;
    }
    j += 1;
  }
  return j;
}
