// Reads the import graph of src/: every `from '…'` and `import('…')` of every .ts file, resolved to files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One file's imports: relative ones resolved to repository paths, bare ones (packages) as written. */
export interface FileImports {
  relative: string[];
  bare: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

/** The import graph of every .ts file under `dir` (paths relative to `root`). */
export function importGraph(root: string, dir = 'src'): Map<string, FileImports> {
  const graph = new Map<string, FileImports>();
  for (const file of walk(join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    const imports: FileImports = { relative: [], bare: [] };
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.')) imports.relative.push(relative(root, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'));
      else imports.bare.push(specifier);
    }
    graph.set(relative(root, file), imports);
  }
  return graph;
}

/** Every import circle (strongly connected group of two or more files, or a file importing itself). */
export function circles(graph: Map<string, FileImports>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.relative ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || graph.get(node)!.relative.includes(node)) found.push(group.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}
