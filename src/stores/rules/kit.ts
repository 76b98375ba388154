// The store kit: every rule a session store must follow, written once. The memory store calls these;
// the Redis Lua scripts and the PostgreSQL statements mirror them (each names the rule it mirrors);
// the conformance suite in latchkey/testing pins each one. Published as `latchkey/store`.
import type { RefreshState, SessionRecord } from '../../core/types.js';
import type { RefreshStep, SessionActivity, SessionStore } from '../contract.js';

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
 * Rule "refresh step": the record after a refresh step, or `null` when the step does not apply (the
 * generation moved on, or the refresh token or the session has expired at `step.at`). The new idle expiry is
 * `step.at + record.idleTimeout` when the record has its own idle timeout, else `step.idleExpiresAt`; other
 * refresh fields (`firstGeneration`) are kept. Stores that
 * implement `advanceRefresh` on a document call this inside their atomic section.
 *
 * A rotation (`from` is current) advances the generation. With `options.late` (the store knows the call
 * runs after its caller gave up, e.g. it waited past the command timeout) the new generation is marked
 * `unacknowledged`. A retry (`step.retry`, `from` is the previous generation) then re-sends the current
 * generation once and marks it `retried`; it never applies to an acknowledged generation, nor after a
 * re-sent one (`previousRetried`: two parties may hold it, so presenting it again is theft).
 */
export function applyRefreshStep(record: SessionRecord, step: RefreshStep, options: { late?: boolean } = {}): SessionRecord | null {
  const state = record.refresh;
  if (!state) return null;
  if (state.expiresAt <= step.at || record.absoluteExpiresAt <= step.at || record.expiresAt <= step.at) return null;
  if (step.retry) {
    if (state.generation !== step.from + 1 || !state.unacknowledged || state.retried || state.previousRetried) return null;
    const { unacknowledged: _, ...rest } = state;
    return { ...record, version: record.version + 1, refresh: { ...rest, retried: true } };
  }
  if (state.generation !== step.from) return null;
  // A session with its own idle timeout (signIn lifetime) measures idleness by it, not by the step's default.
  const idleUntil = typeof record.idleTimeout === 'number' ? step.at + record.idleTimeout : step.idleExpiresAt;
  const idleExpiresAt = Math.min(idleUntil, record.absoluteExpiresAt);
  const moved = step.at > record.lastSeenAt;
  const { retried, previousRetried: _previous, unacknowledged: _unacknowledged, ...kept } = state;
  const refresh: RefreshState = { ...kept, generation: step.from + 1, rotatedAt: step.at, expiresAt: Math.min(step.refreshExpiresAt, record.absoluteExpiresAt) };
  if (options.late) refresh.unacknowledged = true;
  if (retried) refresh.previousRetried = true;
  return {
    ...record,
    version: record.version + 1,
    lastSeenAt: moved ? step.at : record.lastSeenAt,
    idleExpiresAt: moved ? idleExpiresAt : record.idleExpiresAt,
    expiresAt: moved ? idleExpiresAt : record.expiresAt,
    refresh,
  };
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
