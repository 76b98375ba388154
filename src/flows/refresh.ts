// The refresh flow: rotate the presented refresh token and issue a new access token.
import type { RefreshResult } from '../core/auth-api.js';
import type { TokenContext } from '../core/context.js';
import { clearingCookies, readCookie } from '../core/cookies.js';
import { checkCsrf } from '../core/csrf.js';
import { AuthError, isAuthError, type AuthErrorCode } from '../core/errors.js';
import { header } from '../core/request.js';
import { rotate } from '../core/rotation.js';
import { toInfo } from '../core/sessions.js';
import type { AuthRequest, SessionRecord } from '../core/types.js';
import { accessFor, refreshCookieFor } from './issue.js';

/** Refusals after which the refresh cookie is useless, so the answer clears it. */
const CLEARS_COOKIES: ReadonlySet<AuthErrorCode> = new Set(['session_invalid', 'session_expired', 'token_expired', 'refresh_reused']);

/** Rotates `token` and issues the next access token and refresh cookie; `clears`: a refusal that ends the session clears the cookies. */
export async function refreshWith(tk: TokenContext, token: string, via: RefreshResult['via'] = 'token', clears = true): Promise<RefreshResult> {
  try {
    // With a claims hook (app code that may fail), sign before the rotation is committed: a failure on our
    // side must never spend the presented generation. Without one, signing is local and cannot fail that way.
    const prepare = tk.tokenOptions.claims ? (next: SessionRecord) => accessFor(tk, next) : undefined;
    const { record, refreshToken, prepared } = await rotate(tk, token, prepare);
    const { accessToken, expiresIn } = prepared ?? (await accessFor(tk, record));
    return { session: toInfo(record), accessToken, refreshToken, expiresIn, setCookies: [refreshCookieFor(tk, record, refreshToken)], via };
  } catch (error) {
    if (clears && isAuthError(error) && CLEARS_COOKIES.has(error.code)) throw error.withCookies(clearingCookies(tk.options.cookies));
    throw error;
  }
}

/** The longest refresh token read from a header or a body: a real one is ~70 characters. */
const MAX_TOKEN = 512;

/**
 * The refresh token a client without a cookie jar presents (native apps, CLIs): `Authorization: Refresh <token>`,
 * else `{ "refreshToken": "…" }` in the request's JSON body. Neither is ambient (a browser never adds them on its
 * own), so neither needs the CSRF check. A body that cannot be read or parsed presents nothing.
 */
export async function presentedRefreshToken(request: AuthRequest): Promise<string | undefined> {
  const authorization = header(request, 'authorization');
  if (authorization !== undefined) {
    const match = /^Refresh +([^\s]+) *$/i.exec(authorization);
    return match && match[1]!.length <= MAX_TOKEN ? match[1] : undefined;
  }
  if (typeof request.body !== 'function') return undefined;
  let body: unknown;
  try {
    body = await request.body();
  } catch {
    return undefined;
  }
  const token = typeof body === 'object' && body !== null ? (body as { refreshToken?: unknown }).refreshToken : undefined;
  return typeof token === 'string' && token.length > 0 && token.length <= MAX_TOKEN ? token : undefined;
}

/**
 * Refreshes from `{ refreshToken }` (apps), from a request's refresh cookie (CSRF-checked, the cookie path), or,
 * when no refresh cookie came, from the token the request presents itself (`presentedRefreshToken`).
 */
export async function refresh(tk: TokenContext, input: AuthRequest | { refreshToken: string }): Promise<RefreshResult> {
  if (input && typeof (input as { refreshToken?: unknown }).refreshToken === 'string') {
    return refreshWith(tk, (input as { refreshToken: string }).refreshToken);
  }
  const request = input as AuthRequest;
  const cookie = readCookie(request, tk.options.cookies.refreshName);
  if (cookie !== undefined) {
    checkCsrf(request, tk.options);
    return refreshWith(tk, cookie, 'cookie');
  }
  const token = await presentedRefreshToken(request);
  if (token === undefined) throw new AuthError('credentials_missing');
  // the client holds no latchkey cookie: its answer clears none
  return refreshWith(tk, token, 'token', false);
}
