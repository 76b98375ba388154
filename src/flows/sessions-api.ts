// The sessions API: list a user's live sessions, read one, update its data with compare-and-set.
import type { SessionsAPI } from '../core/auth-api.js';
import type { Context } from '../core/context.js';
import { retryCompareAndSet } from '../core/cas.js';
import { AuthError, isAuthError } from '../core/errors.js';
import { checkData, checkUserId } from '../core/input.js';
import { loadLive, toInfo } from '../core/sessions.js';
import { isSessionId } from '../stores/rules/kit.js';
import { isLive } from '../stores/rules/liveness.js';
import type { SessionData, SessionRecord } from '../core/types.js';

/** The sessions API of an Auth. */
export function sessionsAPI(ctx: Context): SessionsAPI {
  return {
    async list(userId) {
      checkUserId(userId, 'sessions.list');
      const now = ctx.now();
      const records = (await ctx.io((s) => s.listByUser(userId))).filter((r) => isLive(r, now));
      // the store's list is the truth (a memory policy may have evicted what this instance still caches): what it
      // does not name is read again before it is trusted, so no session is usable here but missing from the list
      ctx.cache.reconcile(userId, new Set(records.map((r) => r.id)));
      return records.map(toInfo);
    },
    async get(sessionId) {
      if (!isSessionId(sessionId)) return null;
      try {
        return toInfo(await loadLive(ctx, sessionId));
      } catch (error) {
        if (isAuthError(error) && error.status === 401) return null;
        throw error;
      }
    },
    async update(sessionId, update) {
      if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
      const next = await retryCompareAndSet(
        () => loadLive(ctx, sessionId),
        async (record) => {
          const current = structuredClone(record.data);
          const data = typeof update === 'function' ? await update(current) : ({ ...current, ...update } as SessionData);
          checkData(data);
          const next: SessionRecord = { ...record, data, version: record.version + 1 };
          return { write: next, expected: record.version, result: next };
        },
        (next, expected) => ctx.io((s) => s.update(next, expected)),
      );
      ctx.check.forget(sessionId);
      return toInfo(next);
    },
  };
}
