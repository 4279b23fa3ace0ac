import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The shape of the house, held by a test: no file of `src/` imports a file that imports it back
 * (directly or around a circle), and no folder of `src/` imports a folder that imports it back;
 * `src/` never imports `@azure/functions` (the core runs without the Functions library).
 */
const SRC = resolve(__dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (`import … from './x'`, `import('./x')`), resolved to files. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return targets.map((target) => `${resolve(dirname(file), target)}.ts`);
}

/** The folder a file belongs to, as a room of the house: `keys/keyvault` counts as `keys`. */
function room(file: string): string {
  const path = relative(SRC, file);
  return path.includes('/') ? path.split('/')[0] : path.replace(/\.ts$/, '');
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('the house', () => {
  const all = files(SRC);
  const fileGraph = new Map(all.map((file) => [file, new Set(imports(file))]));

  it('has no import circle between files of src/', () => {
    expect(cycles(fileGraph).map((circle) => circle.map((f) => relative(SRC, f)).join(' → '))).toEqual([]);
  });

  it('has no import circle between folders of src/', () => {
    const roomGraph = new Map<string, Set<string>>();
    for (const [file, targets] of fileGraph) {
      const from = room(file);
      const edges = roomGraph.get(from) ?? new Set<string>();
      for (const target of targets) if (room(target) !== from) edges.add(room(target));
      roomGraph.set(from, edges);
    }
    expect(cycles(roomGraph).map((circle) => circle.join(' → '))).toEqual([]);
  });

  it('keeps src/ free of @azure/functions', () => {
    expect(all.filter((file) => /from '@azure\/functions'/.test(readFileSync(file, 'utf8'))).map((f) => relative(SRC, f))).toEqual([]);
  });
});
