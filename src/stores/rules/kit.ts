// The store kit: the small rules a session store must follow, written once (the refresh step has its own file,
// refresh-step.ts, with its Lua and SQL beside it). The memory store calls these; the Redis Lua scripts and the
// PostgreSQL statements mirror them (each names the rule it mirrors);
// the conformance suite in latchkey/testing pins each one. Published as `latchkey/store`.
import type { SessionRecord } from '../../core/types.js';
import type { SessionActivity, SessionStore } from '../contract.js';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** True if the value has the shape of a session id: 22 base64url characters (a cheap guard before any store call). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/** Rule "is live": neither the idle nor the absolute timeout (nor the store expiry) has passed at `now`. */
export function isLive(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt' | 'expiresAt'>, now: number): boolean {
  return now < record.idleExpiresAt && now < record.absoluteExpiresAt && now < record.expiresAt;
}

/** Rule "touch only if newer": a touch applies only when it moves `lastSeenAt` forward. */
export function touchApplies(stored: Pick<SessionRecord, 'lastSeenAt'>, activity: Pick<SessionActivity, 'lastSeenAt'>): boolean {
  return activity.lastSeenAt > stored.lastSeenAt;
}

/**
 * Rule "activity never moves backwards": what a compare-and-set update writes. When the stored
 * `lastSeenAt` is later than the incoming record's (a touch landed after the writer read), the stored
 * activity fields are kept; everything else comes from the incoming record.
 */
export function mergeActivity(stored: SessionRecord, incoming: SessionRecord): SessionRecord {
  if (stored.lastSeenAt <= incoming.lastSeenAt) return incoming;
  return { ...incoming, lastSeenAt: stored.lastSeenAt, idleExpiresAt: stored.idleExpiresAt, expiresAt: stored.expiresAt };
}

/**
 * Rule "per-user cap": which of a user's live records to evict so a new one fits under `maxPerUser`:
 * the least recently active first (the soonest `expiresAt`, then the oldest `createdAt`, then the id).
 */
export function pickEvictions<R extends Pick<SessionRecord, 'id' | 'expiresAt' | 'createdAt'>>(live: readonly R[], maxPerUser: number): R[] {
  const excess = live.length + 1 - maxPerUser;
  if (excess <= 0) return [];
  return [...live].sort((a, b) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).slice(0, excess);
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
