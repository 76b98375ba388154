// Which test runner registers the conformance suite: the one passed in, the runner's globals, or Vitest's API.

/** The two functions of a test runner the suite needs (node:test, Vitest, Jest and Mocha all have them). */
export interface TestRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: (...args: unknown[]) => Promise<void>): unknown;
}

/** One conformance case: its name and its body (`skip` is called when the store lacks what the case checks). */
export interface ConformanceCase {
  name: string;
  run(skip: () => void): Promise<void>;
}

function isRunner(value: unknown): value is TestRunner {
  const r = value as Partial<TestRunner> | undefined;
  return typeof r?.describe === 'function' && typeof r.it === 'function';
}

/** The runner to register with; throws a TypeError that says how to pass one when none is found. */
export function findRunner(given: TestRunner | undefined): TestRunner {
  if (given !== undefined) {
    if (!isRunner(given)) throw new TypeError('latchkey: runStoreConformance options.runner needs { describe, it } from your test runner.');
    return given;
  }
  const scope = globalThis as unknown as Record<string, unknown>;
  // Jest, Mocha, Vitest with `globals: true`; then Vitest's API, which it keeps on a global in every worker
  for (const candidate of [scope, scope.__vitest_index__]) if (isRunner(candidate)) return candidate;
  throw new TypeError("latchkey: runStoreConformance found no test runner; pass { runner: { describe, it } }, e.g. from 'node:test'.");
}
