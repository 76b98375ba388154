// Authentication of a request: a Bearer access token, or the session cookie (CSRF-checked).
import type { Resolution } from '../auth-api.js';
import type { Context, TokenContext } from '../context.js';
import { clearingCookies, readCookie } from '../cookies.js';
import { checkCsrf } from '../csrf.js';
import { isAuthError } from '../errors.js';
import { thaw } from '../lib/json.js';
import { header } from '../lib/request.js';
import { checkSessionToken, isStaleCopy, touch } from '../sessions.js';
import type { SharedRecord } from '../stores/fast-read.js';
import type { AccessTokenClaims, AuthContext, AuthRequest } from '../types.js';

/** The token of an `Authorization: Bearer` header; `''` for a bare scheme, `undefined` when none or another scheme. */
export function bearerToken(request: AuthRequest): string | undefined {
  const value = header(request, 'authorization');
  if (value === undefined) return undefined;
  // `Bearer`, any case, then nothing or [ \t]+ and the token; compared without a regex on the hot path.
  const trimmed = value.trim();
  if (trimmed.length < 6 || trimmed.slice(0, 6).toLowerCase() !== 'bearer') return undefined;
  if (trimmed.length === 6) return '';
  const gap = trimmed.charCodeAt(6);
  return gap === 32 || gap === 9 ? trimmed.slice(7).trim() : undefined;
}

/** Verifies an access token and, with `checkSession`, that its session is still live. */
export async function verifyAccessToken(tk: TokenContext, token: string): Promise<AccessTokenClaims> {
  const claims = await tk.tokens.verify(token);
  if (tk.tokenOptions.checkSession) await tk.check.live(claims.sid);
  return claims;
}

/** Who made the request: by Bearer token first, else by session cookie; `null` when neither is presented. */
export async function authenticate(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<AuthContext | null> {
  const bearer = tk ? bearerToken(request) : undefined;
  if (tk && bearer !== undefined) {
    const claims = await tk.tokens.verify(bearer);
    const data = tk.tokenOptions.checkSession ? await tk.check.live(claims.sid) : null;
    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : 0;
    return { via: 'bearer', userId: claims.sub, sessionId: claims.sid, claims, data, authTime, ...(Array.isArray(claims.amr) ? { amr: claims.amr } : {}) };
  }
  const cookie = readCookie(request, ctx.options.cookies.sessionName);
  if (cookie === undefined) return null;
  checkCsrf(request, ctx.options);
  let record: SharedRecord;
  try {
    record = await checkSessionToken(ctx, cookie);
  } catch (error) {
    if (isAuthError(error) && error.status === 401 && !isStaleCopy(error)) throw error.withCookies(clearingCookies(ctx.options.cookies));
    throw error;
  }
  const touched = touch(ctx, record);
  if (touched) await touched;
  // the record may be the store's own frozen object: the app gets its own copies of data and amr
  return { via: 'cookie', userId: record.userId, sessionId: record.id, data: thaw(record.data), authTime: record.authTime, ...(record.amr ? { amr: [...record.amr] } : {}) };
}

/** The Set-Cookie lines of a request that was authenticated or anonymous: none (one shared, frozen list). */
const NO_COOKIES: readonly string[] = Object.freeze([]);

/** Like `authenticate`, but a refused credential (401) becomes `auth: null` with the error; 403 and 503 still throw. */
export async function resolve(ctx: Context, tk: TokenContext | null, request: AuthRequest): Promise<Resolution> {
  try {
    return { auth: await authenticate(ctx, tk, request), error: null, setCookies: NO_COOKIES, at: ctx.now() };
  } catch (error) {
    if (isAuthError(error) && error.status === 401) return { auth: null, error, setCookies: error.setCookies, at: ctx.now() };
    throw error;
  }
}
