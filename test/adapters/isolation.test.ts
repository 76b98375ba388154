// Express, Fastify, Koa and Hono are optional peers: importing 'latchkey' must never load one, and the
// adapters may use a framework only for types (fastify-plugin is the one run-time import); the adapter kit
// (latchkey/adapter) uses none.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const FRAMEWORKS = /^(express|fastify|fastify-plugin|koa|hono|@hono\/.*|@types\/.*)(\/.*)?$/;

/** Every module specifier a file loads at run time (type-only imports and exports excluded). */
function runtimeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of code.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm)) {
    if (match[2]) continue;
    found.push((match[3] ?? match[4] ?? match[5])!);
  }
  return found;
}

function bareImportsReachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return bare;
}

it("importing 'latchkey' loads no web framework", () => {
  const bare = [...bareImportsReachableFrom(join(src, 'entries/index.ts'))];
  expect(bare.length).toBeGreaterThan(0); // jose, cookie, node: built-ins: the walk did follow the graph
  expect(bare.filter((specifier) => FRAMEWORKS.test(specifier))).toEqual([]);
});

it('each adapter loads its framework for types only (fastify-plugin is the one run-time import) and no other adapter\'s framework', () => {
  const runtimeFrameworks = (name: string): string[] => [...bareImportsReachableFrom(join(src, `entries/${name}.ts`))].filter((specifier) => FRAMEWORKS.test(specifier));
  for (const name of ['express', 'koa', 'hono', 'fetch']) expect(runtimeFrameworks(name)).toEqual([]);
  expect(runtimeFrameworks('fastify')).toEqual(['fastify-plugin']);
  // the core is reached by relative path inside the package, never through the package name
  for (const name of ['express', 'koa', 'hono', 'fetch', 'fastify']) {
    expect(runtimeImports(join(src, `adapters/${name}.ts`)).filter((specifier) => specifier.startsWith('latchkey'))).toEqual([]);
  }
});

it('the adapter kit (latchkey/adapter) loads no web framework: only what the core loads', () => {
  const kit = [...bareImportsReachableFrom(join(src, 'entries/adapter.ts'))];
  const core = new Set(bareImportsReachableFrom(join(src, 'entries/index.ts')));
  expect(kit.filter((specifier) => FRAMEWORKS.test(specifier))).toEqual([]);
  expect(kit.filter((specifier) => !core.has(specifier))).toEqual([]);
});
