/**
 * Reads the YAML of azure.yaml: nested mappings of scalars, comments, no lists, anchors or flow style (it
 * throws on those, so a test can not pass over what it did not read).
 */
export type YamlMap = { [key: string]: string | YamlMap };

export function parseYamlMap(source: string): YamlMap {
  const root: YamlMap = {};
  const stack: Array<{ indent: number; map: YamlMap }> = [{ indent: -1, map: root }];
  for (const [index, raw] of source.split('\n').entries()) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const match = /^([\w.-]+):(?:\s+(.*))?$/.exec(line.trim());
    if (!match || /^[-[{&*!|>]/.test(match[2] ?? '')) throw new Error(`line ${index + 1}: not a plain mapping entry: ${raw}`);
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1].map;
    if (match[1] in parent) throw new Error(`line ${index + 1}: duplicate key ${match[1]}`);
    if (match[2] === undefined) {
      const child: YamlMap = {};
      parent[match[1]] = child;
      stack.push({ indent, map: child });
    } else parent[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return root;
}
