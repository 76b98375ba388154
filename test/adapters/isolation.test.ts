// Express, Fastify and Koa are optional peers: importing 'latchkey' must never load one, and the
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
  const bare = [...bareImportsReachableFrom(join(src, 'index.ts'))];
  expect(bare.length).toBeGreaterThan(0); // jose, cookie, node: built-ins: the walk did follow the graph
  expect(bare.filter((specifier) => FRAMEWORKS.test(specifier))).toEqual([]);
});

it('the adapters import their framework for types only and the core as the package itself, through latchkey/adapter', () => {
  expect(runtimeImports(join(src, 'adapters/express.ts'))).toEqual(['latchkey/adapter']);
  expect(runtimeImports(join(src, 'adapters/koa.ts'))).toEqual(['latchkey/adapter']);
  expect(runtimeImports(join(src, 'adapters/fastify.ts'))).toEqual(['fastify-plugin', 'latchkey/adapter']);
  expect(runtimeImports(join(src, 'adapters/hono.ts'))).toEqual(['latchkey/adapter']);
  expect(runtimeImports(join(src, 'adapters/fetch.ts'))).toEqual(['latchkey/adapter']);
});

it('the adapter kit loads no web framework and reaches the core only as the package itself', () => {
  const bare = [...bareImportsReachableFrom(join(src, 'adapter/index.ts'))];
  expect(bare).toEqual(['latchkey']);
});
