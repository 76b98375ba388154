import type { SessionRecord } from '../types.js';

/** Activity fields `touch` moves forward; nothing else about the record changes. */
export interface SessionActivity {
  lastSeenAt: number;
  idleExpiresAt: number;
  expiresAt: number;
}

/** One refresh rotation, applied by `advanceRefresh` (or by the core with get + update). */
export interface RefreshStep {
  /** The generation presented: the step applies only while it is the record's current generation. */
  from: number;
  /** The time of the rotation (ms). */
  at: number;
  /** The new refresh token's expiry; the store clamps it to `absoluteExpiresAt`. */
  refreshExpiresAt: number;
  /** The new idle expiry; the store clamps it to `absoluteExpiresAt`. */
  idleExpiresAt: number;
}

/** What `advanceRefresh` found: the rotated record, or the record as stored when the step did not apply. */
export interface RefreshAdvance {
  advanced: boolean;
  record: SessionRecord;
}

/**
 * The record after a refresh step, or `null` when the step does not apply (the generation moved on, or
 * the refresh token or the session has expired at `step.at`). Stores implementing `advanceRefresh` on a
 * document can call this; the Redis store does the same in Lua.
 */
export function applyRefreshStep(record: SessionRecord, step: RefreshStep): SessionRecord | null {
  const state = record.refresh;
  if (!state || state.generation !== step.from) return null;
  if (state.expiresAt <= step.at || record.absoluteExpiresAt <= step.at || record.expiresAt <= step.at) return null;
  const idleExpiresAt = Math.min(step.idleExpiresAt, record.absoluteExpiresAt);
  const moved = step.at > record.lastSeenAt;
  return {
    ...record,
    version: record.version + 1,
    lastSeenAt: moved ? step.at : record.lastSeenAt,
    idleExpiresAt: moved ? idleExpiresAt : record.idleExpiresAt,
    expiresAt: moved ? idleExpiresAt : record.expiresAt,
    refresh: { generation: step.from + 1, rotatedAt: step.at, expiresAt: Math.min(step.refreshExpiresAt, record.absoluteExpiresAt) },
  };
}

/**
 * The contract every session store implements: memory, Redis, or your own database.
 * All times are milliseconds since the epoch; `record.expiresAt` is when the store may forget a record,
 * and a store must never return a record whose `expiresAt` has passed. Records are plain JSON values:
 * store serialised copies, never live objects. Run `runStoreConformance` from `latchkey/testing` to check one.
 */
export interface SessionStore {
  /**
   * Optional. A fresh session id for `userId`: 22 base64url characters with at least 96 random bits.
   * A store that must place a user's records together (Redis Cluster hash slots) derives part of the id
   * from the user, so `get(id)` can find the right place from the id alone. Default: 128 random bits.
   */
  newId?(userId: string): string;
  /** Required. Inserts a new record (its id is fresh: from `newId` when the store has one) and indexes it under its user. */
  create(record: SessionRecord): Promise<void>;
  /** Required. The record, or `null` when it is absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /**
   * Required. Compare-and-set: writes `record` only if the stored version equals `expectedVersion`
   * (then `record.version` is `expectedVersion + 1`). Returns `false` if the version moved or the record
   * is gone; it never re-creates a deleted record. Activity never moves backwards: when the stored
   * `lastSeenAt` is later than the record's (a `touch` landed after the writer read it), the stored
   * `lastSeenAt`, `idleExpiresAt` and `expiresAt` are kept.
   */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Optional. Rotates the refresh generation in one atomic call (one round trip): applies `step` as
   * `applyRefreshStep` describes and returns `{ advanced: true, record }` with the new record, or
   * `{ advanced: false, record }` with the record as stored when the step does not apply; `null` when
   * there is no live record. Without it the core uses `get` + `update` (two round trips).
   */
  advanceRefresh?(id: string, step: RefreshStep): Promise<RefreshAdvance | null>;
  /** Required. Moves a live record's activity times and expiry; never creates a record, never changes data or version. */
  touch(id: string, activity: SessionActivity): Promise<void>;
  /** Required. Deletes a record and its index entry; `true` if it existed. */
  delete(id: string): Promise<boolean>;
  /** Required. The user's live records, oldest first. */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Required. Deletes every record of the user except `except`; returns how many were deleted. */
  deleteByUser(userId: string, options?: { except?: string }): Promise<number>;
  /**
   * Optional. Calls `listener` with session ids revoked (deleted) by any process sharing the store, so
   * `accessToken.checkSession` can be answered from a local cache. Call it with `null` when messages may
   * have been missed (a reconnect): every cached answer is then dropped. Returns an unsubscribe function.
   */
  subscribe?(listener: (sessionIds: readonly string[] | null) => void): () => void;
  /** Optional. Releases timers and connections the store owns. */
  close?(): Promise<void>;
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
