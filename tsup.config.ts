import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Options } from 'tsup';

const allEntries = {
  index: 'src/entries/index.ts',
  adapter: 'src/entries/adapter.ts',
  fetch: 'src/entries/fetch.ts',
  hono: 'src/entries/hono.ts',
  express: 'src/entries/express.ts',
  fastify: 'src/entries/fastify.ts',
  koa: 'src/entries/koa.ts',
  nestjs: 'src/entries/nestjs.ts',
  redis: 'src/entries/redis.ts',
  postgres: 'src/entries/postgres.ts',
  store: 'src/entries/store.ts',
  testing: 'src/entries/testing.ts',
  // Web APIs only (no node: import in it or in any chunk it loads): test/verify/built.test.ts checks the build.
  verify: 'src/entries/verify.ts',
};
// Every subpath entry of package.json's exports map; built when its source exists.
const entry = Object.fromEntries(Object.entries(allEntries).filter(([, file]) => existsSync(file)));

// Each entry in src/entries/ re-exports the modules below it by relative path. The ESM build splits what two
// entries share into chunks, so a process holds one copy of the core however many subpaths it loads (one key
// registry, one AuthError class), and the declarations share chunks the same way (one `Register` interface for
// declaration merging). Only the CLI names the package (it loads the built library through self-reference).
const shared: Options = {
  entry,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  dts: true,
  external: ['ioredis', 'pg', 'express', 'fastify', 'fastify-plugin', 'koa', 'hono', '@nestjs/common', '@nestjs/core', 'vitest'],
  treeshake: true,
};

const cli: Options = {
  entry: { cli: 'src/entries/cli.ts' },
  format: ['cjs'],
  target: 'node20',
  platform: 'node',
  // The CLI loads the built core through the package's own name (self-reference), so it stays tiny.
  external: ['latchkey', 'latchkey/postgres', 'pg'],
  banner: { js: '#!/usr/bin/env node' },
};

/** latchkey/client's budget: min+gzip bytes of dist/client.js (test/client/bundle.test.ts checks it too). */
export const CLIENT_BUDGET = 2048;

// The browser module: its own build for browsers, with no Node import and no dependency, minified (the
// sourcemap keeps it readable). Its size is printed on every build, and a build over budget fails.
const CLIENT_ENTRY = 'src/entries/client.ts';
const client: Options = {
  entry: { client: CLIENT_ENTRY },
  format: ['esm', 'cjs'],
  target: 'es2021',
  platform: 'browser',
  minify: true,
  sourcemap: true,
  dts: true,
  treeshake: true,
  async onSuccess() {
    oneSourceMapComment();
    const code = readFileSync('dist/client.js');
    const gzipped = gzipSync(code).length;
    console.log(`latchkey/client: ${code.length} B minified, ${gzipped} B min+gzip (budget ${CLIENT_BUDGET} B)`);
    if (gzipped > CLIENT_BUDGET) throw new Error(`latchkey/client is ${gzipped} B min+gzip, over its ${CLIENT_BUDGET} B budget.`);
  },
};

/** esbuild and the tree-shaking pass each append a sourceMappingURL comment to a .js file: keep one (the last). */
function oneSourceMapComment(): void {
  for (const file of readdirSync('dist').filter((name) => name.endsWith('.js'))) {
    const code = readFileSync(`dist/${file}`, 'utf8');
    const comments = code.match(/\/\/# sourceMappingURL=\S+\n?/g) ?? [];
    let extra = comments.length - 1;
    if (extra > 0) writeFileSync(`dist/${file}`, code.replace(/\/\/# sourceMappingURL=\S+\n?/g, (comment) => (extra-- > 0 ? '' : comment)));
  }
}

/**
 * The CommonJS entries re-export the ESM build through require(esm), which every Node in `engines` has on by
 * default (^20.19 || >=22.12). So a process that both requires and imports latchkey holds one copy of the core:
 * one jose (the dependency, updated by the app, never a bundled copy), one key registry (a key made through
 * either entry works with the other), one AuthError class. Only the .d.cts declarations are built for CJS.
 */
function writeCommonJSEntries(): void {
  oneSourceMapComment();
  for (const name of Object.keys(entry)) {
    // The export names, from the ESM build's closing `export { a, b as c }`, spelled so that Node's CJS lexer
    // finds them: an ESM file that imports this .cjs (by path or through require.resolve) gets named exports.
    const built = readFileSync(`dist/${name}.js`, 'utf8');
    const names = [...built.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((part) => part.trim().split(/\s+as\s+/).pop()!).filter(Boolean));
    writeFileSync(
      `dist/${name}.cjs`,
      `'use strict';\n// CommonJS entry: the ESM build, loaded with require(esm) (Node ^20.19 || >=22.12), so both share one copy.\n` +
        `module.exports = require('./${name}.js');\n0 && (module.exports = { ${names.join(', ')} });\n`,
    );
  }
}

export default defineConfig((flags) => {
  // One clean before every build starts: tsup runs the configs below in parallel, and a per-config `clean`
  // can delete files another config has already written (the CLI, or the CJS build's .d.cts).
  if (!flags.watch) rmSync('dist', { recursive: true, force: true });
  // `tsup --env.LATCHKEY_JS_ONLY 1` (npm run demo): the ESM JavaScript only (esbuild alone, no rollup tree-shaking),
  // no declarations, no CJS, no CLI; the browser client too, as the example pages serve it. First page in seconds.
  if (flags.env?.LATCHKEY_JS_ONLY) {
    const js: Options = { format: ['esm'], dts: false, sourcemap: false, treeshake: false };
    return [{ ...shared, ...js }, ...(existsSync(CLIENT_ENTRY) ? [{ ...client, ...js }] : [])];
  }
  return [
    { ...shared, format: ['esm'], onSuccess: async () => writeCommonJSEntries() },
    { ...shared, format: ['cjs'], dts: { only: true } },
    ...(existsSync('src/entries/cli.ts') ? [cli] : []),
    ...(existsSync(CLIENT_ENTRY) ? [client] : []),
  ];
});
