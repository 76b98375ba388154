// Immutable JSON values: the memory store keeps each record parsed once and frozen, hands that same
// object to `authenticate` (which only reads it), and gives every other caller a mutable copy.

/** A JSON value frozen all the way down. */
export type Frozen<T> = T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T;

/** Freezes a JSON value (objects and arrays, recursively) in place and returns it. */
export function deepFreeze<T>(value: T): Frozen<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value as Frozen<T>;
}

/** A JSON value after `JSON.stringify` and `JSON.parse`, frozen: a detached, immutable copy. */
export function frozenCopy<T>(value: T): Frozen<T> {
  return deepFreeze(JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A mutable deep copy of a JSON value (for example a frozen one): cheaper than a JSON round trip for
 * values that are already plain JSON. A `__proto__` key stays an own property, as `JSON.parse` makes it.
 */
export function thaw<T>(value: Frozen<T> | T): T {
  if (typeof value !== 'object' || value === null) return value as T;
  if (Array.isArray(value)) return value.map((item: unknown) => thaw(item)) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = thaw((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out as T;
}
