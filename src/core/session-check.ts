import type { BaseContext } from './base-context.js';
import { AuthError } from './errors.js';
import { thaw } from '../lib/json.js';
import { LRU } from '../lib/lru.js';
import { assertLive, loadLive } from './sessions.js';
import type { StoreBroadcast } from '../stores/contract.js';
import type { SessionData, SessionRecord } from './types.js';

/** How `accessToken.checkSession` learns whether a token's session is still live. */
export interface SessionCheck {
  /** The live session's data; throws `session_invalid` / `session_expired` when it is gone. */
  live(sessionId: string): Promise<SessionData>;
  /** Marks sessions revoked by this process, so this process refuses their tokens at once. */
  revoke(sessionIds: readonly string[]): void;
  /** Drops one cached answer (its data changed). */
  forget(sessionId: string): void;
  /** Drops every cached answer (many sessions ended at once). */
  clear(): void;
  /** Stops listening to the store's broadcast (only this Auth's listener: a shared store keeps serving the others). */
  close(): void;
  /** Ms since the broadcast was last confirmed (`Infinity`: not yet or no longer); `null` when this Auth does not listen (no channel, checkSession off, closed). Starts listening. */
  lag(): number | null;
}

const KNOWN_SESSIONS = 10_000;

/**
 * The checkSession cache. Revoked ids (kept for an access token's lifetime) are refused without I/O.
 * When the store broadcasts revocations, live sessions are also answered from a small local cache for up
 * to `session.touchEvery`, so a bearer check needs no store round trip in the common case. The cache is
 * trusted only while the broadcast is confirmed: the store's `broadcastLag()` is within
 * `accessToken.maxRevocationDelay` (a store without it: as long as it is subscribed). Otherwise every
 * check reads the store (503 when it is down: fail closed), and the cache is emptied, since messages may
 * have been missed. A broadcast revocation or change drops its entries at once, a user's sign-out
 * everywhere drops all of that user's, and a possibly missed broadcast drops them all. The store is
 * subscribed to only when checkSession is on: nothing else reads the cache.
 */
export function createSessionCheck(ctx: BaseContext): SessionCheck {
  const known = new LRU<string, { record: SessionRecord; checkedAt: number }>(KNOWN_SESSIONS);
  const maxDelay = ctx.options.tokens?.maxRevocationDelay ?? 0;
  const wanted = ctx.options.tokens?.checkSession === true && typeof ctx.store.subscribe === 'function';
  const store = ctx.store;
  let unsubscribe: (() => void) | undefined;
  let listening = false;
  let closed = false;

  function listener(message: StoreBroadcast | readonly string[] | null): void {
    if (message === null) return known.clear();
    // a 0.1 custom store sends a bare array of revoked ids
    const { revoked, changed, users = [] } = isIds(message) ? { revoked: message, changed: [] } : message;
    ctx.markRevoked(revoked);
    for (const id of revoked) known.delete(id);
    for (const id of changed) known.delete(id);
    if (users.length > 0) {
      const gone = new Set(users);
      for (const [id, hit] of [...known.entries()]) if (gone.has(hit.record.userId)) known.delete(id);
    }
  }

  function listen(): void {
    if (listening || closed || !wanted) return;
    listening = true;
    unsubscribe = store.subscribe!(listener);
  }

  /** True while cached answers may stand: the broadcast is confirmed within the bound. */
  function trusted(): boolean {
    if (!listening) return false;
    const lag = store.broadcastLag ? store.broadcastLag() : 0;
    return lag <= maxDelay;
  }

  return {
    async live(sessionId) {
      listen();
      const now = ctx.now();
      const revokedUntil = ctx.revoked.peek(sessionId);
      if (revokedUntil !== undefined && revokedUntil > now) throw new AuthError('session_invalid');
      const trust = trusted();
      if (trust) {
        const hit = known.get(sessionId);
        if (hit && now - hit.checkedAt < ctx.options.touchEvery) {
          assertLive(hit.record, now);
          return thaw(hit.record.data); // the app's own copy: a change to it never reaches the cache
        }
      } else if (known.size > 0) {
        known.clear(); // the broadcast may have missed a revocation: nothing cached can be trusted again
      }
      const record = await loadLive(ctx, sessionId);
      if (listening) known.set(sessionId, { record, checkedAt: now });
      return thaw(record.data);
    },
    revoke(sessionIds) {
      ctx.markRevoked(sessionIds);
      for (const id of sessionIds) known.delete(id);
    },
    forget(sessionId) {
      known.delete(sessionId);
    },
    clear() {
      known.clear();
    },
    close() {
      closed = true;
      listening = false;
      known.clear();
      unsubscribe?.();
      unsubscribe = undefined;
    },
    lag() {
      if (!wanted || closed) return null;
      listen(); // a readiness probe before the first bearer request must not wait on a channel nobody opened
      return store.broadcastLag ? store.broadcastLag() : 0;
    },
  };
}

function isIds(message: StoreBroadcast | readonly string[]): message is readonly string[] {
  return Array.isArray(message);
}
