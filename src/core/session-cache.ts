// The revocation-aware cache of session records one Auth keeps in memory, shared by the cookie check
// (`session.cache`) and the bearer check (`accessToken.checkSession`), over the store's broadcast channel.
//
// Why it can be trusted, and for how long. A record is what the store holds (its secret as a HASH, never a
// cookie): the presented secret is still hashed and compared with it on every request. A cached record stands
// in for a store read only while three things hold:
//  1. The channel is confirmed: the store's `broadcastLag()` (a heartbeat published through the channel and
//     seen back) is within the bound, so a revocation or change published anywhere has reached us by then.
//     Past the bound nothing cached answers and everything is dropped; a `null` from the store (a reconnect,
//     a heartbeat gap: messages may be lost) drops everything at once.
//  2. The record was read less than `maxAge` ago (`session.touchEvery`): what the channel never carries (a
//     touch on another instance, a row deleted by hand, a key Redis evicted) is re-read at least that often.
//  3. Nothing about it was invalidated while it was being read. A read and the broadcast of a sign-out travel
//     on two connections, so a reply that left the store before a deletion can arrive after the deletion's
//     message: every invalidation bumps a sequence number, a read takes a mark before it starts, and its record
//     is kept only if neither its id, nor its user, nor the whole cache was invalidated after the mark.
// Sessions known to have ended (deleted, revoked, expired) are remembered as such for as long as room allows:
// a deleted session never comes back, so refusing them needs no store call and no trust.
import type { BaseContext } from './base-context.js';
import { deepFreeze } from '../lib/json.js';
import { toBroadcast, type SessionActivity, type StoreBroadcast } from '../stores/contract.js';
import type { SharedRecord } from '../stores/fast-read.js';
import type { SessionRecord } from './types.js';

/** One Auth's cache of session records. Internal. */
export interface SessionCache {
  /** True when the cookie check consults it (`session.cache` on, and the store has a channel). */
  readonly forCookies: boolean;
  /** Subscribes to the store's channel, once (at the first request that could use the cache). */
  listen(): void;
  /**
   * Hands every broadcast to `observer` (the session watch, session-watch.ts) after the cache has taken it, over
   * the same one subscription, and subscribes now: watching needs the channel even where nothing is cached.
   */
  observe(observer: (message: StoreBroadcast | null) => void): void;
  /** True while cached records may answer: listening, and the channel confirmed within `bound` ms; else drops them all. */
  trusted(bound: number): boolean;
  /** The record of `id` read less than `maxAge` ago (by the injected clock), or undefined. Read-only. */
  get(id: string, now: number, maxAge: number): SharedRecord | undefined;
  /** True when the session is known to have ended: it can never be live again. */
  ended(id: string): boolean;
  /** Taken before a store read and passed to `remember`; `-1` (nothing will be kept) while untrusted. */
  mark(trusted: boolean): number;
  /** Keeps a record read from the store at `now`, unless it was invalidated since `mark`. */
  remember(record: SharedRecord | SessionRecord, mark: number, now: number): void;
  /** This instance wrote activity for `id` (a touch): the cached copy moves with it, so it is not touched again. */
  touched(id: string, activity: SessionActivity): void;
  /** Drops records; `ended`: those sessions are gone for good (deleted, revoked, expired). */
  forget(ids: readonly string[], ended: boolean): void;
  /** Drops every record of these users (their sessions ended, some perhaps unnamed). */
  forgetUsers(userIds: readonly string[]): void;
  /** A fresh list of the user's sessions from the store: drops the user's cached records it does not name (evicted unseen), so they are read again. */
  reconcile(userId: string, listed: ReadonlySet<string>): void;
  /** Drops every record (many sessions changed at once, or messages may have been missed). */
  clear(): void;
  /** Stops listening (only this Auth's listener) and drops everything. */
  close(): void;
  /** The records it holds (a dump holds secret hashes only). */
  records(): SharedRecord[];
  /** Ms since the channel was last confirmed (`Infinity`: not yet or no longer); `null` when this Auth listens to none. Starts listening. */
  lag(): number | null;
}

/** Bounds of the cache. */
export interface SessionCacheOptions {
  /** Whether the cookie check uses the cache. */
  cookies: boolean;
  /** Most records held. */
  max: number;
  /** Most bytes held, by each record's estimated heap size (twice its JSON length, plus 256). */
  maxBytes: number;
  /** Whether anything uses the cache (cookies, or `accessToken.checkSession`): else it never subscribes. */
  wanted: boolean;
}

interface Entry {
  record: SharedRecord;
  checkedAt: number;
  bytes: number;
  /** `moves` when it was last put at the end of `entries`: how many were put there since bounds how far back it is. */
  movedAt: number;
}

/** Invalidations remembered for the read race (and ended sessions, for refusals without I/O). */
const INVALIDATIONS = 50_000;

/** The cache of one Auth over its store's channel; it subscribes nowhere until `listen`. */
export function createSessionCache(ctx: BaseContext, options: SessionCacheOptions): SessionCache {
  const store = ctx.store;
  const channel = typeof store.subscribe === 'function';
  const entries = new Map<string, Entry>();
  // id (or '\0' + userId) -> the sequence number of its last invalidation, and whether the session ended
  const invalid = new Map<string, { seq: number; ended: boolean }>();
  let bytes = 0;
  let moves = 0; // entries put at the end of `entries` (inserted or moved there), ever
  let seq = 0;
  let floor = 0; // reads marked before this cannot be checked against forgotten invalidations: never kept
  let unsubscribe: (() => void) | undefined;
  let listening = false;
  let closed = false;
  let observer: ((message: StoreBroadcast | null) => void) | undefined;

  function invalidate(key: string, ended: boolean): void {
    seq += 1;
    invalid.delete(key);
    invalid.set(key, { seq, ended });
    if (invalid.size > INVALIDATIONS) {
      const [oldest, { seq: at }] = invalid.entries().next().value as [string, { seq: number }];
      invalid.delete(oldest);
      floor = Math.max(floor, at);
    }
  }

  function drop(id: string): void {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    bytes -= entry.bytes;
  }

  function dropAll(): void {
    seq += 1;
    floor = seq;
    entries.clear();
    bytes = 0;
  }

  function forget(ids: readonly string[], ended: boolean): void {
    for (const id of ids) {
      invalidate(id, ended);
      drop(id);
    }
  }

  function forgetUsers(userIds: readonly string[]): void {
    if (userIds.length === 0) return;
    const gone = new Set(userIds);
    for (const userId of userIds) invalidate(`\0${userId}`, false);
    for (const [id, entry] of entries) if (gone.has(entry.record.userId)) drop(id); // deleting while iterating a Map is safe
  }

  function listener(message: StoreBroadcast | readonly string[] | null): void {
    if (message === null) {
      dropAll();
      return observer?.(null);
    }
    const broadcast = toBroadcast(message);
    const { revoked, changed, users = [], reason } = broadcast;
    if (revoked.length > 0) ctx.markRevoked(revoked, reason); // drops them here too, and ends their watches (context.ts)
    forget(changed, false);
    forgetUsers(users);
    observer?.(broadcast);
  }

  return {
    reconcile(userId, listed) {
      const stale: string[] = [];
      for (const [id, entry] of entries) if (entry.record.userId === userId && !listed.has(id)) stale.push(id);
      forget(stale, false);
    },
    forCookies: options.cookies && channel,
    listen() {
      if (listening || closed || !channel || (!options.wanted && !observer)) return;
      try {
        unsubscribe = store.subscribe!(listener);
        listening = true;
      } catch {
        closed = true; // a store that cannot subscribe is never trusted: every check reads it
      }
    },
    observe(fn) {
      observer = fn;
      this.listen();
    },
    lag() {
      this.listen(); // a readiness probe before the first request must not wait on a channel nobody opened
      if (!listening) return null;
      return store.broadcastLag ? store.broadcastLag() : 0;
    },
    trusted(bound) {
      if (listening && (store.broadcastLag ? store.broadcastLag() : 0) <= bound) return true;
      if (entries.size > 0 || floor !== seq) dropAll(); // the channel may have missed a revocation: nothing cached stands
      return false;
    },
    get(id, now, maxAge) {
      const entry = entries.get(id);
      if (!entry || now - entry.checkedAt >= maxAge) return undefined;
      // most recently used last; an entry with fewer than half the entries put after it is in the newer half
      // already, far from eviction: it stays (the delete and set cost more than the rest of a cached check)
      if (moves - entry.movedAt >= entries.size / 2) {
        entries.delete(id);
        entries.set(id, entry);
        entry.movedAt = ++moves;
      }
      return entry.record;
    },
    ended(id) {
      return invalid.get(id)?.ended === true;
    },
    mark(trusted) {
      return trusted ? seq : -1;
    },
    remember(record, mark, now) {
      if (mark < floor || !listening) return;
      if ((invalid.get(record.id)?.seq ?? 0) > mark || (invalid.get(`\0${record.userId}`)?.seq ?? 0) > mark) return;
      const shared = sharedCopy(record);
      const size = 2 * JSON.stringify(shared).length + 256;
      if (size > options.maxBytes) return;
      drop(record.id);
      entries.set(record.id, { record: shared, checkedAt: now, bytes: size, movedAt: ++moves });
      bytes += size;
      while (entries.size > options.max || bytes > options.maxBytes) drop(entries.keys().next().value as string);
    },
    touched(id, activity) {
      const entry = entries.get(id);
      if (!entry || activity.lastSeenAt <= entry.record.lastSeenAt) return;
      entry.record = Object.freeze({ ...entry.record, ...activity });
    },
    forget,
    forgetUsers,
    clear: dropAll,
    close() {
      closed = true;
      listening = false;
      dropAll();
      unsubscribe?.();
      unsubscribe = undefined;
    },
    records() {
      return [...entries.values()].map((entry) => entry.record);
    },
  };
}

/**
 * The record as the cookie check reads it, frozen: without version and refresh state (a rotation changes
 * them, and is broadcast as a change). A store's read-only record is already frozen and is kept as it is.
 */
function sharedCopy(record: SharedRecord | SessionRecord): SharedRecord {
  if (!('version' in record) && !('refresh' in record) && Object.isFrozen(record)) return record;
  const { version: _version, refresh: _refresh, ...shared } = record as SessionRecord;
  return deepFreeze(structuredClone(shared)) as SharedRecord;
}
