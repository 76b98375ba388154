// Sign-out: one session by id, the session a request presents, or every session of a user.
import type { Context, TokenContext } from '../core/context.js';
import { clearingCookies, readCookie } from '../core/cookies.js';
import { checkCsrf } from '../core/csrf.js';
import { isAuthError } from '../core/errors.js';
import { checkUserId } from '../core/input.js';
import { verifyRefreshToken } from '../core/rotation.js';
import { checkSessionToken } from '../core/sessions.js';
import { isSessionId } from '../stores/rules/kit.js';
import type { AuthRequest } from '../core/types.js';
import { bearerToken } from '../core/bearer-header.js';
import { presentedRefreshToken } from './refresh.js';

/** Ends one session; `true` if it existed. Emits `sign_out` (reading the record only when a hook listens). */
export async function signOut(ctx: Context, sessionId: string): Promise<boolean> {
  if (!isSessionId(sessionId)) return false;
  // the read only names the user in the audit event: without an event hook, sign-out is one round trip
  const record = ctx.options.onEvent ? await ctx.io((s) => s.get(sessionId)) : null;
  const existed = await ctx.io((s) => s.delete(sessionId, { reason: 'signed_out' }));
  ctx.check.revoke([sessionId], 'signed_out');
  if (existed && record) ctx.emit({ type: 'sign_out', at: ctx.now(), userId: record.userId, sessionId });
  return existed;
}

/**
 * Ends the session a request presents (CSRF-checked) and returns the cookie-clearing lines. Every credential
 * presented is tried in turn until one names a session: a stale or foreign bearer token must not leave a
 * live cookie session behind a 204 that cleared the browser's cookies.
 */
export async function signOutRequest(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<{ sessionId: string | null; setCookies: string[] }> {
  const { cookies } = ctx.options;
  const bearer = tk ? bearerToken(request) : undefined;
  const cookie = readCookie(request, cookies.sessionName);
  const refresh = tk ? readCookie(request, cookies.refreshName) : undefined;
  if (tk && bearer === undefined && cookie === undefined && refresh === undefined) {
    // a client without a cookie jar: the refresh token in `Authorization: Refresh` or the JSON body, not ambient, so
    // no CSRF check; the answer clears no cookie (there are none, and a cross-site caller must not clear the browser's)
    const token = await presentedRefreshToken(request);
    if (token !== undefined) {
      const sessionId = (await verifyRefreshToken(tk, token).catch(ignoreRefusal))?.sessionId ?? null;
      if (sessionId !== null) await signOut(ctx, sessionId);
      return { sessionId, setCookies: [] };
    }
  }
  // Checked even when no cookie came: a browser withholds SameSite cookies from a cross-site form POST
  // but still applies the clearing Set-Cookie lines of the answer, which would sign the user out.
  if (bearer === undefined) checkCsrf(request, ctx.options);
  const ambient = (): void => {
    if (bearer !== undefined) checkCsrf(request, ctx.options);
  };
  const attempts: (() => Promise<string | null>)[] = [];
  if (tk && bearer !== undefined) attempts.push(async () => (await tk.tokens.verifyIgnoringExpiry(bearer)).sid);
  if (cookie !== undefined) attempts.push(async () => (ambient(), (await checkSessionToken(ctx, cookie)).id));
  if (tk && refresh !== undefined) attempts.push(async () => (ambient(), (await verifyRefreshToken(tk, refresh))?.sessionId ?? null));
  let sessionId: string | null = null;
  for (const attempt of attempts) {
    try {
      sessionId = await attempt();
    } catch (error) {
      if (!isAuthError(error) || error.status !== 401) throw error;
    }
    if (sessionId !== null) break;
  }
  if (sessionId !== null) await signOut(ctx, sessionId);
  return { sessionId, setCookies: clearingCookies(cookies) };
}

/** A refused credential (401) names no session; anything else (a store failure) is rethrown. */
function ignoreRefusal(error: unknown): null {
  if (isAuthError(error) && error.status === 401) return null;
  throw error;
}

/** Ends every session of a user except `except`; returns how many ended. Emits `sign_out_everywhere`. */
export async function signOutEverywhere(ctx: Context, userId: string, options: { except?: string } = {}): Promise<number> {
  checkUserId(userId, 'signOutEverywhere');
  const except = options.except === undefined ? {} : { except: options.except };
  const count = await ctx.io((s) => s.deleteByUser(userId, except));
  ctx.cache.forgetUsers([userId]);
  ctx.watch.endedUsers(userId, options.except);
  ctx.emit({ type: 'sign_out_everywhere', at: ctx.now(), userId, count, ...except });
  return count;
}
