import type { BaseContext } from './context.js';
import { AuthError } from './errors.js';
import { LRU } from './lib/lru.js';
import { assertLive, loadLive } from './sessions.js';
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
  /** Stops listening to the store's revocation broadcast. */
  close(): void;
}

const KNOWN_SESSIONS = 10_000;

/**
 * The checkSession cache. Revoked ids (kept for an access token's lifetime) are refused without I/O.
 * When the store broadcasts revocations, live sessions are also answered from a small local cache
 * for up to `session.touchEvery`, so a bearer check needs no store round trip in the common case; a
 * broadcast revocation drops the entry at once, and a possibly missed broadcast drops them all.
 * Without a broadcast every check reads the store.
 */
export function createSessionCheck(ctx: BaseContext): SessionCheck {
  const known = new LRU<string, { record: SessionRecord; checkedAt: number }>(KNOWN_SESSIONS);
  const broadcasts = typeof ctx.store.subscribe === 'function';
  const unsubscribe = ctx.store.subscribe?.((message) => {
    if (message === null) return known.clear();
    // a 0.1 custom store sends a bare array of revoked ids
    const { revoked, changed } = Array.isArray(message) ? { revoked: message as readonly string[], changed: [] } : message;
    ctx.markRevoked(revoked);
    for (const id of revoked) known.delete(id);
    for (const id of changed) known.delete(id);
  });

  return {
    async live(sessionId) {
      const now = ctx.now();
      const revokedUntil = ctx.revoked.peek(sessionId);
      if (revokedUntil !== undefined && revokedUntil > now) throw new AuthError('session_invalid');
      if (broadcasts) {
        const hit = known.get(sessionId);
        if (hit && now - hit.checkedAt < ctx.options.touchEvery) {
          assertLive(hit.record, now);
          return hit.record.data;
        }
      }
      const record = await loadLive(ctx, sessionId);
      if (broadcasts) known.set(sessionId, { record, checkedAt: now });
      return record.data;
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
      unsubscribe?.();
    },
  };
}
