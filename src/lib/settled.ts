// A promise that carries its value where a caller can read it at once: the per-request path answers a
// cookie on the memory store without waiting, and the adapter kit then decides without a microtask.
// The promise is an ordinary resolved promise for everyone else (`then`, `await` behave as always).

/** The key of the value (a registered symbol, so the core and the adapter entry points agree on it). */
const VALUE = Symbol.for('latchkey.settledValue');

type Marked<T> = Promise<T> & { [VALUE]?: T };

/** A resolved promise of `value` whose value `settledValue` can read synchronously. */
export function settled<T>(value: T): Promise<T> {
  const promise: Marked<T> = Promise.resolve(value);
  promise[VALUE] = value;
  return promise;
}

/**
 * The value of a promise made by `settled` (a kit step that lets the request go on at once answers one); `undefined` for any other promise.
 * @example
 * const outcome = kit.authenticate(ctx);
 * if (settledValue(outcome) === null) return next(); // no microtask: go on at once
 */
export function settledValue<T>(promise: Promise<T>): T | undefined {
  return (promise as Marked<T>)[VALUE];
}
