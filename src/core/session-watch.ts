// `auth.watch`: tells a long-lived connection (WebSocket, SSE) once that its session ended, on whichever instance
// it ended, and why. One watch hub per Auth; it opens nothing of its own.
//
// Where each end is learnt, and why that is enough:
//  - Ended here (sign-out, theft, eviction, elevate, an expired record found): the flow that ends it calls
//    `ctx.markRevoked(ids, reason)`, which tells the hub with the exact reason before the flow returns. With a
//    store without a channel (the memory store) the hub also tells the other Auths of this process on that store.
//  - Ended on another instance: the store's channel, through the ONE subscription the session cache holds
//    (session-cache.ts hands the hub every message). Revocations carry their reason when the sender knew it
//    (stores/end-reason.ts); without one the hub says `'revoked'`, the truthful default: the session was ended
//    from elsewhere, by a cause not sent. `users` (every session of a user ended) and `changed` (for watches that
//    asked for `onReauthenticate`) are checked by reading the record, since they do not say which session ended.
//  - Found gone by a read, with no reason heard: the ender's message may still be on its way (the record's deletion
//    commits before its broadcast reaches us). The watch waits until the channel confirms a heartbeat sent after
//    the read ended (the channel delivers in order, so the ender's message has arrived by then, with its reason),
//    or until the bound, and only then says `'revoked'`. Reads after a `users` message say `'revoked'` at once.
//  - Expired: nobody sends anything. Each watch holds one unref'd timer at its record's idle or absolute expiry;
//    when it fires the record is read again (another instance's activity moves the idle expiry without a message),
//    and the watch ends `'expired'` or waits for the new expiry.
//  - Missed: the channel may lose messages (a reconnect, a gap: the store calls the listener with `null`). Every
//    watched session is then read again. And a channel silent past the cache's bound (`maxRevocationDelay`, the
//    store's `broadcastLag()`) is one whose silence proves nothing: watches not read within the bound are told
//    `'unconfirmed'` (or, with `onUnconfirmed`, that callback is called and the watch goes on, read again once the
//    channel is confirmed). One watchdog timer per hub, only while something is watched and the store has a channel;
//    it looks every quarter of the bound (at most 250 ms) and speaks one look early, so it has spoken by the bound.
// Memory: a watch is a few fields in two maps and one timer, all released by its stop function or its end.
import { LRU } from '../lib/lru.js';
import { addTo, takeFrom } from '../lib/multimap.js';
import { isLive } from '../stores/rules/liveness.js';
import type { StoreBroadcast } from '../stores/contract.js';
import type { BaseContext } from './base-context.js';
import type { SessionCache } from './session-cache.js';
import type { SessionEndReason, SessionRecord } from './types.js';
import { readQueue } from './read-queue.js';
import { joinHubs, type Hub } from './watch-hubs.js';
import { newWatcher, type Watcher, type WatchEnd } from './watch-input.js';

/** The watch hub of one Auth. Internal. */
export interface SessionWatch {
  /** `auth.watch`: validates its input (TypeError), starts watching, returns the stop function. */
  watch(sessionId: unknown, onEnd: unknown, options?: unknown): () => void;
  /** These sessions ended (here, or by a broadcast): their watches end with `reason`. */
  ended(sessionIds: readonly string[], reason: SessionEndReason): void;
  /** Every session of the user but `except` ended here (`signOutEverywhere`). */
  endedUsers(userId: string, except: string | undefined): void;
  /** The session was re-authenticated here. */
  reauthenticated(sessionId: string): void;
  /** A broadcast the session cache received (its revocations come through `ended`); `null`: messages may be lost. */
  message(message: StoreBroadcast | null): void;
  /** Drops every watch (no callback) and its timers. */
  close(): void;
  /** Test hook: the sizes of what the hub holds. */
  sizes(): { watches: number; sessions: number; users: number; timers: number; suspects: number; unread: number; queued: number; vanished: number };
}

/** Reasons of recent ends, for a watch that starts just after its session ended. */
const RECENT = 10_000;
/** Reads of watched records in flight at once when many are read again. */
const PARALLEL = 32;
/** A failed read is tried again after this long (ms). */
const RETRY = 1000;
/** The longest timeout Node keeps (beyond it, it fires at once). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** Makes the watch hub of one Auth, over its context and its session cache (whose subscription it shares). */
export function createSessionWatch(ctx: BaseContext, cache: SessionCache): SessionWatch {
  const store = ctx.store;
  const channel = typeof store.subscribe === 'function';
  const bound = ctx.options.sessionCache.maxRevocationDelay;
  // the watchdog looks every `period` ms and speaks once the silence passes `alarm`: so it has spoken by the bound
  const period = Math.min(Math.max(Math.floor(bound / 4), 10), 250);
  const alarm = bound - period;
  const byId = new Map<string, Set<Watcher>>();
  const byUser = new Map<string, Set<Watcher>>();
  const suspects = new Set<Watcher>();
  const unread = new Set<Watcher>(); // not read yet: their user is unknown
  const queue = readQueue<Watcher>(PARALLEL, verify, (w) => w.done); // to be read again, PARALLEL at a time
  const vanished = new Map<Watcher, number>(); // found gone by a read ending at this (monotonic) time, reason unheard

  const recent = new LRU<string, SessionEndReason>(RECENT);
  let count = 0;
  let timers = 0;
  let watchdog: ReturnType<typeof setInterval> | undefined;
  let confirmedAt = -Infinity; // monotonic: when the channel was last seen confirmed (its lag, taken at a tick)
  let closed = false;

  function clearTimer(w: Watcher): void {
    if (w.timer === undefined) return;
    clearTimeout(w.timer);
    w.timer = undefined;
    timers -= 1;
  }

  function remove(w: Watcher): void {
    if (w.done) return;
    w.done = true;
    clearTimer(w);
    takeFrom(byId, w.id, w);
    if (w.userId !== undefined) takeFrom(byUser, w.userId, w);
    suspects.delete(w);
    unread.delete(w);
    queue.delete(w);
    vanished.delete(w);
    count -= 1;
    if (count === 0 && watchdog) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  }

  function end(w: Watcher, reason: WatchEnd): void {
    if (w.done) return;
    remove(w);
    try {
      w.onEnd(reason);
    } catch {
      // one connection's failing close must not stop the others being told
    }
  }

  function lag(): number {
    return channel ? (cache.lag() ?? Infinity) : 0;
  }

  function schedule(w: Watcher, delay: number): void {
    clearTimer(w);
    if (w.done || closed || delay === Infinity) return;
    w.timer = setTimeout(() => {
      w.timer = undefined;
      timers -= 1;
      void verify(w);
    }, Math.min(Math.max(delay, 0), MAX_TIMEOUT));
    w.timer.unref?.();
    timers += 1;
  }

  /** Reads the record: ends the watch when the session is gone, expired or (when asked) re-authenticated; else re-arms it. */
  function verify(w: Watcher): Promise<void> {
    if (w.done || vanished.has(w)) return Promise.resolve();
    if (w.reading) {
      w.again = true; // the read in flight may have left before what made us ask: read once more after it
      return Promise.resolve();
    }
    w.reading = true;
    const startedAt = performance.now();
    return ctx.io((s) => s.get(w.id)).then(
      (record) => {
        w.reading = false;
        if (w.done) return;
        settle(w, record, startedAt);
        if (w.again && !w.done) {
          w.again = false;
          return verify(w);
        }
      },
      () => {
        w.reading = false;
        w.again = false;
        schedule(w, RETRY); // the watchdog says 'unconfirmed' if the channel is silent too
      },
    );
  }

  /** Reads many watched records again (a reconnect, the channel back): at most PARALLEL at once, never a storm on the store. */
  function recheck(watchers: Iterable<Watcher>): void {
    queue.add(watchers);
  }

  function settle(w: Watcher, record: SessionRecord | null, startedAt: number): void {
    const now = ctx.now();
    if (!record) {
      const known = recent.peek(w.id) ?? (now >= w.deadline ? 'expired' : w.userEnded || !channel ? 'revoked' : undefined);
      if (known !== undefined) return end(w, known);
      clearTimer(w);
      vanished.set(w, performance.now()); // the watchdog ends it once the channel has caught up with this read
      return;
    }
    w.userEnded = false;
    if (!isLive(record, now)) return end(w, 'expired');
    if (w.reauth && w.authTime !== undefined && record.authTime > w.authTime) return end(w, 'reauthenticated');
    if (w.userId === undefined) {
      w.userId = record.userId;
      addTo(byUser, w.userId, w);
      unread.delete(w);
    }
    w.authTime ??= record.authTime;
    w.verifiedAt = Math.max(w.verifiedAt, startedAt);
    if (suspects.has(w) && lag() <= alarm) suspects.delete(w); // confirmed again, and read since
    w.deadline = Math.min(record.idleExpiresAt, record.absoluteExpiresAt, record.expiresAt);
    schedule(w, w.deadline - now);
  }

  function tick(): void {
    const current = lag();
    const at = performance.now();
    if (current !== Infinity) confirmedAt = Math.max(confirmedAt, at - current);
    for (const [w, readAt] of vanished) if (confirmedAt >= readAt || at - readAt > alarm) end(w, recent.peek(w.id) ?? 'revoked');
    if (current <= alarm) {
      recheck(suspects);
      return;
    }
    for (const set of [...byId.values()]) {
      for (const w of [...set]) {
        // confirmed by the channel, or by a read of its own, within the bound: nothing unheard yet
        if (w.done || suspects.has(w) || vanished.has(w) || at - Math.max(w.verifiedAt, confirmedAt) <= alarm) continue;
        if (w.onUnconfirmed === undefined) {
          end(w, 'unconfirmed');
          continue;
        }
        suspects.add(w);
        try {
          w.onUnconfirmed(current);
        } catch {
          // as in end()
        }
      }
    }
  }

  const hub: Hub = {
    deliverEnded(sessionIds, reason) {
      for (const id of sessionIds) {
        recent.set(id, reason);
        const set = byId.get(id);
        if (set) for (const w of [...set]) end(w, reason);
      }
    },
    deliverUsers(userId, except) {
      const set = byUser.get(userId);
      if (set) for (const w of [...set]) if (w.id !== except) end(w, 'revoked');
      for (const w of [...unread]) void verify(w); // a first read in flight may have left before the deletion
    },
    deliverReauthenticated(sessionId) {
      const set = byId.get(sessionId);
      if (set) for (const w of [...set]) if (w.reauth) end(w, 'reauthenticated');
    },
  };
  const hubs = joinHubs(store, hub, channel); // with a store without a channel, the other Auths of this process on it

  return {
    watch(sessionId, onEnd, options) {
      const w = newWatcher(sessionId, onEnd, options);
      if (closed) throw new TypeError('latchkey: auth.watch on a closed Auth: it listens to nothing any more.');
      addTo(byId, w.id, w);
      unread.add(w);
      count += 1;
      if (channel) {
        cache.observe(message); // subscribes now (once per Auth), even where nothing is cached
        if (!watchdog) {
          watchdog = setInterval(tick, period);
          watchdog.unref?.();
        }
      }
      void verify(w);
      return () => remove(w);
    },
    ended(sessionIds, reason) {
      for (const h of hubs.every()) h.deliverEnded(sessionIds, reason);
    },
    endedUsers(userId, except) {
      for (const h of hubs.every()) h.deliverUsers(userId, except);
    },
    reauthenticated(sessionId) {
      for (const h of hubs.every()) h.deliverReauthenticated(sessionId);
    },
    message,
    close() {
      closed = true;
      for (const set of [...byId.values()]) for (const w of [...set]) remove(w);
      recent.clear();
      hubs.leave();
    },
    sizes() {
      return { watches: count, sessions: byId.size, users: byUser.size, timers, suspects: suspects.size, unread: unread.size, queued: queue.size, vanished: vanished.size };
    },
  };

  function message(m: StoreBroadcast | null): void {
    if (count === 0) return;
    if (m === null) {
      for (const set of [...byId.values()]) recheck(set); // an end may have been missed: read them all
      return;
    }
    for (const userId of m.users ?? []) {
      const watchers = byUser.get(userId) ?? [];
      for (const w of watchers) w.userEnded = true; // a read that finds it gone knows why: every session of the user ended
      recheck(watchers);
    }
    for (const id of m.changed) recheck([...(byId.get(id) ?? [])].filter((w) => w.reauth));
  }
}
