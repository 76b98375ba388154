import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on real servers, browsers and timers rather than compute: three forks on two cores overlap
    // those waits (Vitest's default on 2 cores is one fork, every file in series). Each file starts its own
    // servers on free loopback ports, so files never share state.
    maxWorkers: 3,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
