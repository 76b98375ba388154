// The sessions API: list a user's live sessions, read one, update its data with compare-and-set.
import type { SessionsAPI } from '../core/auth-api.js';
import type { Context } from '../core/context.js';
import { AuthError, isAuthError } from '../core/errors.js';
import { checkData, checkUserId } from '../core/input.js';
import { loadLive, toInfo } from '../core/sessions.js';
import { isLive, isSessionId } from '../stores/rules/kit.js';
import type { SessionData, SessionRecord } from '../core/types.js';

/** Each lost compare-and-set means another writer won, so N concurrent writers need at most N attempts. */
const MAX_UPDATE_ATTEMPTS = 64;

/** A short random pause before retrying a lost compare-and-set, so contenders stop colliding in lockstep. */
function jitter(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * Math.min(2 ** attempt, 20))));
}

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
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        if (attempt > 0) await jitter(attempt);
        if (!isSessionId(sessionId)) throw new AuthError('session_invalid');
        const record = await loadLive(ctx, sessionId);
        const current = structuredClone(record.data);
        const data = typeof update === 'function' ? await update(current) : ({ ...current, ...update } as SessionData);
        checkData(data);
        const next: SessionRecord = { ...record, data, version: record.version + 1 };
        if (await ctx.io((s) => s.update(next, record.version))) {
          ctx.check.forget(sessionId);
          return toInfo(next);
        }
      }
      throw new AuthError('session_conflict');
    },
  };
}
