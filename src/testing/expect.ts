// The few matchers the conformance suite uses, over node:assert, so the suite runs under any test runner.
import { deepStrictEqual, match, notStrictEqual, ok, strictEqual } from 'node:assert/strict';

/** A copy without `undefined` object properties, as `toEqual` ignores them; every other value keeps its type. */
function defined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(defined);
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, defined(v)]));
}

/** JSON-shaped subset check for `toMatchObject`. */
function subset(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return Object.is(actual, expected);
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(expected).every(([key, value]) => subset((actual as Record<string, unknown>)[key], value));
}

/** Matchers on one value. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeNull(): void;
  toHaveLength(length: number): void;
  toMatch(pattern: RegExp): void;
  toMatchObject(expected: object): void;
  toBeLessThanOrEqual(bound: number): void;
  readonly not: { toBeNull(): void; toBe(expected: unknown): void };
}

/** A tiny `expect` whose failures are node:assert AssertionErrors (every runner reports those). */
export function expect(actual: unknown): Matchers {
  return {
    toBe: (expected) => strictEqual(actual, expected),
    toEqual: (expected) => deepStrictEqual(defined(actual), defined(expected)),
    toBeNull: () => strictEqual(actual, null),
    toHaveLength: (length) => strictEqual((actual as { length: number }).length, length),
    toMatch: (pattern) => match(String(actual), pattern),
    toMatchObject: (expected) => ok(subset(actual, expected), `expected ${JSON.stringify(actual)} to match ${JSON.stringify(expected)}`),
    toBeLessThanOrEqual: (bound) => ok(typeof actual === 'number' && actual <= bound, `expected ${String(actual)} to be at most ${bound}`),
    not: {
      toBeNull: () => notStrictEqual(actual, null),
      toBe: (expected) => notStrictEqual(actual, expected),
    },
  };
}
