import type { SessionEndReason, SessionRecord } from '../core/types.js';

/** Activity fields `touch` moves forward; nothing else about the record changes. */
export interface SessionActivity {
  lastSeenAt: number;
  idleExpiresAt: number;
  expiresAt: number;
}

/** One refresh rotation, applied by `advanceRefresh` (or by the core with get + update). */
export interface RefreshStep {
  /** The generation presented: the step rotates it when it is the newest, replaces the newest when it is `previous` after the grace window. */
  from: number;
  /** The time of the rotation (ms). */
  at: number;
  /** The new refresh token's expiry; the store clamps it to `absoluteExpiresAt`. */
  refreshExpiresAt: number;
  /** The new idle expiry for a record without its own `idleTimeout` (else `at + record.idleTimeout`); clamped to `absoluteExpiresAt`. */
  idleExpiresAt: number;
  /**
   * The grace window (ms) after a rotation within which the previous generation joins it (gets the same newest
   * token, nothing written); after it, presenting the previous generation replaces the unused newest. Absent: 0.
   */
  reuseGrace?: number;
}

/** What `advanceRefresh` found: the rotated record, or the record as stored when the step did not apply. */
export interface RefreshAdvance {
  advanced: boolean;
  record: SessionRecord;
}

/** The per-user cap `create` applies in the same atomic step as the insert. */
export interface CreateOptions {
  /** At most this many live sessions per user, the new one included. Absent: no cap. */
  maxPerUser?: number;
  /**
   * What to do when the user is at the cap: `'evict'` deletes the least recently active live sessions
   * (the soonest to expire, see `pickEvictions`) to make room; `'refuse'` writes nothing. Default `'evict'`.
   */
  overLimit?: 'evict' | 'refuse';
  /**
   * The id of a live session of the same user that the new one replaces (`auth.elevate`): the store deletes
   * it in the same atomic step as the insert and does not count it against `maxPerUser`, so a replacement never
   * evicts another session nor is refused at the cap. When that session is not live (a sign-out got there
   * first) or is another user's, nothing is written and `replaced` is `false`. The core passes it only to a
   * store that declares `replaceOnCreate`; see there for what it does with any other.
   */
  replaces?: string;
}

/** What `create` did under the cap. A store that enforces no cap may return nothing. */
export interface CreateOutcome {
  /** Ids deleted to make room; they are revoked like any deletion (and broadcast). */
  evicted: readonly string[];
  /** True when the cap refused the insert: nothing was written. */
  refused: boolean;
  /**
   * With `options.replaces`: `true` when the replaced session was live and ended with the insert (broadcast as
   * revoked); `false` when it was not live, and then nothing was written.
   */
  replaced?: boolean;
}

/**
 * A broadcast from any process sharing the store: sessions deleted (`revoked`) and sessions whose record
 * was rewritten (`changed`: data updated, refresh rotated). Every instance drops its cached answers for both.
 */
export interface StoreBroadcast {
  revoked: readonly string[];
  changed: readonly string[];
  /**
   * Users all of whose sessions ended (`deleteByUser`): drop every cached answer about their sessions, also
   * ones the store could not name (a record whose index entry a memory policy evicted). Optional.
   */
  users?: readonly string[];
  /**
   * Why the `revoked` sessions ended, when the sender said (see `DeleteOptions.reason`); absent: not known here,
   * reported as `'revoked'` by `auth.watch`. Optional.
   */
  reason?: SessionEndReason;
}

/** A listener's message as a `StoreBroadcast`: a 0.1 custom store sends a bare array of revoked ids. */
export function toBroadcast(message: StoreBroadcast | readonly string[]): StoreBroadcast {
  return Array.isArray(message) ? { revoked: message, changed: [] } : (message as StoreBroadcast);
}

/** Options of `delete`. */
export interface DeleteOptions {
  /**
   * Why the session ends (`'signed_out'`, `'refresh_reused'`, `'expired'`, …): a broadcasting store sends it with
   * the id, so `auth.watch` on other instances reports it. A store that ignores it broadcasts the id alone.
   */
  reason?: SessionEndReason;
}

/**
 * The contract every session store implements: memory, Redis, PostgreSQL, or your own database.
 * All times are milliseconds since the epoch; `record.expiresAt` is when the store may forget a record,
 * and a store must never return a record whose `expiresAt` has passed. Records are plain JSON values:
 * store serialised copies, never live objects. Every rule a store must follow is exported once from
 * `latchkey/store` (`applyRefreshStep`, `mergeActivity`, `touchApplies`, `isLive`, `pickEvictions`,
 * `isSessionId`); run `runStoreConformance` from `latchkey/testing` to check a store against all of them.
 */
export interface SessionStore {
  /**
   * Optional. A fresh session id for `userId`: 22 base64url characters with at least 96 random bits.
   * A store that must place a user's records together (Redis Cluster hash slots) derives part of the id
   * from the user, so `get(id)` can find the right place from the id alone. Default: 128 random bits.
   */
  newId?(userId: string): string;
  /**
   * Required. Inserts a new record and indexes it under its user. Refuses (throws) when the id exists.
   * With `options.maxPerUser`, counts the user's live records and applies `overLimit` in the same atomic
   * step, returning what it did (`pickEvictions` chooses whom to evict).
   */
  create(record: SessionRecord, options?: CreateOptions): Promise<CreateOutcome | void>;
  /**
   * Optional. `true` when `create` honours `options.replaces` (memory, Redis and PostgreSQL do). Without it the
   * core never passes `replaces`, and `elevate` replaces a session in two calls: with no cap it creates the new
   * record, then deletes the old (undoing the new one when that fails); under `maxPerUser` it deletes the old
   * record first, so the pair never counts twice against the cap (no other device is evicted, `'refuse'` lets
   * it through), then creates the new one, and puts the old record back when that create fails or is refused.
   * Between those two calls a request presenting the old credentials is refused.
   */
  readonly replaceOnCreate?: boolean;
  /** Required. The record, or `null` when it is absent or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /**
   * Required. Compare-and-set: writes `record` only if the stored version equals `expectedVersion`
   * (then `record.version` is `expectedVersion + 1`) and the stored user is the record's. Returns `false`
   * if the version moved or the record is gone; it never re-creates a deleted record. Activity never
   * moves backwards (`mergeActivity`). A broadcasting store publishes the id as `changed`.
   */
  update(record: SessionRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Optional. Rotates the refresh generation in one atomic call (one round trip): applies `step` as
   * `applyRefreshStep` describes and returns `{ advanced: true, record }` with the new record, or
   * `{ advanced: false, record }` with the record as stored when the step does not apply; `null` when
   * there is no live record. Without it the core uses `get` + `update` (two round trips).
   */
  advanceRefresh?(id: string, step: RefreshStep): Promise<RefreshAdvance | null>;
  /**
   * Required. Moves a live record's activity times and expiry when `touchApplies`; never creates a
   * record, never changes data or version.
   */
  touch(id: string, activity: SessionActivity): Promise<void>;
  /**
   * Required. Deletes a record and its index entry; `true` if it was live. A broadcasting store publishes the id
   * as `revoked`, with `options.reason` when it can carry one.
   */
  delete(id: string, options?: DeleteOptions): Promise<boolean>;
  /** Required. The user's live records, oldest first. Bounded in time however many the user has. */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /**
   * Required. Deletes every record of the user except `except`; returns how many live ones were deleted.
   * It must not miss a live record (an index lost to memory-policy eviction included): end them all, or throw.
   */
  deleteByUser(userId: string, options?: { except?: string }): Promise<number>;
  /**
   * Optional. Calls `listener` with what any process sharing the store revoked or changed, so
   * `accessToken.checkSession` can be answered from a local cache. Call it with `null` when messages may
   * have been missed (a reconnect): every cached answer is then dropped. Returns an unsubscribe function.
   * Subscribing is what opens a connection: a store opens none until the first listener.
   */
  subscribe?(listener: (message: StoreBroadcast | null) => void): () => void;
  /**
   * Optional, with `subscribe`. Milliseconds since the broadcast was last *confirmed* to deliver (for
   * example a heartbeat published through the channel and seen back); `Infinity` while it is not (not
   * yet subscribed, a failed subscribe, a silently dead connection). The checkSession cache answers from
   * memory only while this stays within `accessToken.maxRevocationDelay`. A store without it is trusted
   * as long as it has not called the listener with `null`.
   */
  broadcastLag?(): number;
  /** Optional. Releases the timers and connections the store opened (never the client it was given). */
  close?(): Promise<void>;
}
