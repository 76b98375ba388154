import { existsSync, rmSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const allEntries = {
  index: 'src/index.ts',
  adapter: 'src/adapter/index.ts',
  fetch: 'src/adapters/fetch.ts',
  hono: 'src/adapters/hono.ts',
  express: 'src/adapters/express.ts',
  fastify: 'src/adapters/fastify.ts',
  koa: 'src/adapters/koa.ts',
  redis: 'src/stores/redis.ts',
  store: 'src/store.ts',
  testing: 'src/testing/store-conformance.ts',
};
// Every subpath entry of package.json's exports map; built when its source exists.
const entry = Object.fromEntries(Object.entries(allEntries).filter(([, file]) => existsSync(file)));

// Subpath entries import the core as 'latchkey' and the adapter kit as 'latchkey/adapter' (the package
// itself), so there is one copy of each at run time and one `Register` interface for declaration merging
// in the .d.ts files. The root re-exports the kit's deprecated names from 'latchkey/adapter' (until 0.3).
const shared: Options = {
  entry,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  dts: true,
  external: ['latchkey', 'latchkey/adapter', 'ioredis', 'express', 'fastify', 'fastify-plugin', 'koa', 'hono', 'vitest'],
  treeshake: true,
};

const cli: Options = {
  entry: { cli: 'src/cli.ts' },
  format: ['cjs'],
  target: 'node20',
  platform: 'node',
  // The CLI loads the built core through the package's own name (self-reference), so it stays tiny.
  external: ['latchkey'],
  banner: { js: '#!/usr/bin/env node' },
};

export default defineConfig((flags) => {
  // One clean before every build starts: tsup runs the configs below in parallel, and a per-config `clean`
  // can delete files another config has already written (the CLI, or the CJS build's .d.cts).
  if (!flags.watch) rmSync('dist', { recursive: true, force: true });
  return [
    { ...shared, format: ['esm'] },
    // jose is ESM-only; bundling it into the CJS build lets require('latchkey') work without require(esm).
    { ...shared, format: ['cjs'], noExternal: ['jose'] },
    ...(existsSync('src/cli.ts') ? [cli] : []),
  ];
});
