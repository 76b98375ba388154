import type { BaseContext } from './base-context.js';
import { AuthError } from './errors.js';
import { thaw } from '../lib/json.js';
import { isLive } from '../stores/rules/liveness.js';
import type { SessionCache } from './session-cache.js';
import { loadLive } from './sessions.js';
import type { SessionData, SessionEndReason } from './types.js';

/** How `accessToken.checkSession` learns whether a token's session is still live. */
export interface SessionCheck {
  /** The live session's data (no promise for a cached answer); throws `session_invalid` / `session_expired` when it is gone. */
  live(sessionId: string): SessionData | Promise<SessionData>;
  /** Marks sessions revoked by this process, so this process refuses their tokens (and cookies) at once; their watches end with `reason`. */
  revoke(sessionIds: readonly string[], reason?: SessionEndReason): void;
  /** Drops one cached answer (its data changed). */
  forget(sessionId: string): void;
  /** Drops every cached answer (many sessions ended at once). */
  clear(): void;
  /** Stops listening to the store's broadcast (only this Auth's listener: a shared store keeps serving the others). */
  close(): void;
  /** Ms since the broadcast was last confirmed (`Infinity`: not yet or no longer); `null` when this Auth listens to no channel (none, or neither checkSession nor the cookie cache on, or closed). Starts listening. */
  lag(): number | null;
}

/**
 * The checkSession check. Revoked ids (kept for an access token's lifetime) are refused without I/O.
 * When the store broadcasts revocations, live sessions are also answered from the Auth's session cache
 * (session-cache.ts, shared with the cookie check) for up to `session.touchEvery` after they were read, and
 * only while the broadcast is confirmed within `accessToken.maxRevocationDelay`; otherwise every check reads
 * the store (503 when it is down: fail closed). A cached copy that says the session has expired is read
 * again before the refusal: another instance's activity moves the idle expiry without a broadcast. The
 * store is subscribed to at the first check: nothing is opened for an Auth that never checks.
 */
export function createSessionCheck(ctx: BaseContext, cache: SessionCache): SessionCheck {
  const maxDelay = ctx.options.tokens?.maxRevocationDelay ?? 0;

  return {
    // called only with `accessToken.checkSession` on (flows/authenticate.ts); a cached answer comes without a
    // promise, as a cached token does, so a bearer request with both cached waits for nothing
    live(sessionId) {
      cache.listen();
      const now = ctx.now();
      const revokedUntil = ctx.revoked.peek(sessionId);
      if (revokedUntil !== undefined && revokedUntil > now) throw new AuthError('session_invalid');
      const trust = cache.trusted(maxDelay);
      if (trust) {
        const hit = cache.get(sessionId, now, ctx.options.touchEvery);
        if (hit && isLive(hit, now)) return thaw(hit.data); // the app's own copy: a change to it never reaches the cache
      }
      const mark = cache.mark(trust);
      return loadLive(ctx, sessionId).then((record) => {
        cache.remember(record, mark, now);
        return thaw(record.data);
      });
    },
    revoke(sessionIds, reason) {
      ctx.markRevoked(sessionIds, reason); // drops them from the cache too
    },
    forget(sessionId) {
      cache.forget([sessionId], false);
    },
    clear() {
      cache.clear();
    },
    close() {
      cache.close();
    },
    lag() {
      return cache.lag();
    },
  };
}
