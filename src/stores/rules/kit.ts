// The store kit: what is left besides the rules, each of which has its own file with its TypeScript, Lua and
// SQL side by side and a table of cases (liveness.ts, activity.ts, eviction.ts, refresh-step.ts): the shape of
// a session id, and the check that an object is a SessionStore. Published as `latchkey/store`.
import type { CreateOptions, CreateOutcome, SessionStore } from '../contract.js';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** True if the value has the shape of a session id: 22 base64url characters (a cheap guard before any store call). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

const REQUIRED = ['create', 'get', 'update', 'touch', 'delete', 'listByUser', 'deleteByUser'] as const;

/** Throws a TypeError naming the first missing required method, so a broken custom store fails at createAuth. */
export function checkStore(store: unknown): asserts store is SessionStore {
  if (typeof store !== 'object' || store === null) throw new TypeError('latchkey: store must be a SessionStore object, e.g. memoryStore() or redisStore({ client }).');
  for (const method of REQUIRED) {
    if (typeof (store as Record<string, unknown>)[method] !== 'function') {
      throw new TypeError(`latchkey: store.${method} is missing; a SessionStore needs ${REQUIRED.join(', ')}.`);
    }
  }
}

/**
 * A `create` outcome as the contract words it: `replaced` is reported only when the caller passed `replaces`.
 * @example
 * return createOutcome(options, evicted, false, oldWasLive);
 */
export function createOutcome(options: CreateOptions | undefined, evicted: readonly string[], refused: boolean, replaced: boolean): CreateOutcome {
  return options?.replaces === undefined ? { evicted, refused } : { evicted, refused, replaced };
}
