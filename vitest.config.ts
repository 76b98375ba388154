import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^latchkey$/, replacement: src('index.ts') },
      { find: /^latchkey\/adapter$/, replacement: src('adapter/index.ts') },
      { find: /^latchkey\/fetch$/, replacement: src('adapters/fetch.ts') },
      { find: /^latchkey\/hono$/, replacement: src('adapters/hono.ts') },
      { find: /^latchkey\/express$/, replacement: src('adapters/express.ts') },
      { find: /^latchkey\/fastify$/, replacement: src('adapters/fastify.ts') },
      { find: /^latchkey\/koa$/, replacement: src('adapters/koa.ts') },
      { find: /^latchkey\/redis$/, replacement: src('stores/redis.ts') },
      { find: /^latchkey\/postgres$/, replacement: src('postgres.ts') },
      { find: /^latchkey\/store$/, replacement: src('store.ts') },
      { find: /^latchkey\/testing$/, replacement: src('testing/store-conformance.ts') },
      { find: /^latchkey\/client$/, replacement: src('client/index.ts') },
      { find: /^latchkey\/verify$/, replacement: src('verify/index.ts') },
    ],
  },
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
