// Authentication of a request: a Bearer access token, or the session cookie (CSRF-checked).
import type { Resolution } from '../core/auth-api.js';
import type { Context, TokenContext } from '../core/context.js';
import { clearingCookies, readCookie } from '../core/cookies.js';
import { bearerToken } from '../core/bearer-header.js';
import { checkCsrf } from '../core/csrf.js';
import { isAuthError } from '../core/errors.js';
import { thaw } from '../lib/json.js';
import { settled } from '../lib/settled.js';
import { checkSessionTokenNow, isStaleCopy, touch } from '../core/sessions.js';
import type { SharedRecord } from '../stores/fast-read.js';
import type { AccessTokenClaims, AuthContext, AuthRequest } from '../core/types.js';

/** Verifies an access token and, with `checkSession`, that its session is still live. */
export async function verifyAccessToken(tk: TokenContext, token: string): Promise<AccessTokenClaims> {
  const claims = await tk.tokens.verify(token);
  if (tk.tokenOptions.checkSession) await tk.check.live(claims.sid);
  return claims;
}

/** Who made the request: by Bearer token first, else by session cookie; `null` when neither is presented. */
export async function authenticate(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<AuthContext | null> {
  return authenticateNow(ctx, tk, request);
}

/** `authenticate` without a promise where nothing waits (a cookie on the memory store inside `touchEvery`, a cached token); throws synchronously then. */
function authenticateNow(ctx: Context, tk: TokenContext | null, request: AuthRequest): AuthContext | null | Promise<AuthContext | null> {
  const bearer = tk ? bearerToken(request) : undefined;
  if (tk && bearer !== undefined) return bearerContext(tk, bearer);
  const cookie = readCookie(request, ctx.options.cookies.sessionName);
  if (cookie === undefined) return null;
  checkCsrf(request, ctx.options);
  let checked: SharedRecord | Promise<SharedRecord>;
  try {
    checked = checkSessionTokenNow(ctx, cookie);
  } catch (error) {
    throw refusedCookie(ctx, error);
  }
  if (!(checked instanceof Promise)) return cookieContext(ctx, checked);
  return checked.then(
    (record) => cookieContext(ctx, record),
    (error: unknown) => {
      throw refusedCookie(ctx, error);
    },
  );
}

/** The AuthContext of an access token (and, with `checkSession`, its live session's data); no promise for a cached token without `checkSession`. */
function bearerContext(tk: TokenContext, bearer: string): AuthContext | Promise<AuthContext> {
  const claims = tk.tokens.verifyNow(bearer);
  if (claims instanceof Promise) return claims.then((verified) => bearerClaims(tk, verified));
  return bearerClaims(tk, claims);
}

/** The AuthContext of verified claims, after the session check when `checkSession` asks for one. */
function bearerClaims(tk: TokenContext, claims: AccessTokenClaims): AuthContext | Promise<AuthContext> {
  if (!tk.tokenOptions.checkSession) return bearerOf(claims, null);
  const data = tk.check.live(claims.sid);
  return data instanceof Promise ? data.then((live) => bearerOf(claims, live)) : bearerOf(claims, data);
}

/** The AuthContext of a bearer token's claims. */
function bearerOf(claims: AccessTokenClaims, data: AuthContext['data'] | null): AuthContext {
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : 0;
  return { via: 'bearer', userId: claims.sub, sessionId: claims.sid, claims, data, authTime, ...(Array.isArray(claims.amr) ? { amr: claims.amr } : {}) };
}

/** A refused session cookie: a 401 (not a stale copy) also clears the cookies. */
function refusedCookie(ctx: Context, error: unknown): unknown {
  return isAuthError(error) && error.status === 401 && !isStaleCopy(error) ? error.withCookies(clearingCookies(ctx.options.cookies)) : error;
}

/** The AuthContext of a checked session record, after its throttled touch (a promise only when it writes). */
function cookieContext(ctx: Context, record: SharedRecord): AuthContext | Promise<AuthContext> {
  // the record may be the store's own frozen object: the app gets its own copies of data and amr
  const context = (): AuthContext => ({ via: 'cookie', userId: record.userId, sessionId: record.id, data: thaw(record.data), authTime: record.authTime, ...(record.amr ? { amr: [...record.amr] } : {}) });
  const touched = touch(ctx, record);
  return touched ? touched.then(context) : context();
}

/** The Set-Cookie lines of a request that was authenticated or anonymous: none (one shared, frozen list). */
const NO_COOKIES: readonly string[] = Object.freeze([]);

/** Like `authenticate`, but a refused credential (401) becomes `auth: null` with the error; 403 and 503 still throw. Settled at once when nothing waits (see lib/settled.ts). */
export function resolve(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<Resolution> {
  let auth: AuthContext | null | Promise<AuthContext | null>;
  try {
    auth = authenticateNow(ctx, tk, request);
  } catch (error) {
    return refused(ctx, error);
  }
  if (!(auth instanceof Promise)) return settled(resolution(ctx, auth));
  return auth.then((value) => resolution(ctx, value), (error: unknown) => refused(ctx, error));
}

/** The resolution of an authenticated or anonymous request. */
function resolution(ctx: Context, auth: AuthContext | null): Resolution {
  return { auth, error: null, setCookies: NO_COOKIES, at: ctx.now() };
}

/** A refused credential (401) as a resolution; any other error rejects. */
function refused(ctx: Context, error: unknown): Promise<Resolution> {
  if (isAuthError(error) && error.status === 401) return Promise.resolve({ auth: null, error, setCookies: error.setCookies, at: ctx.now() });
  return Promise.reject(error);
}
