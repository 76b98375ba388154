// The refresh flow: rotate the presented refresh token and issue a new access token.
import type { RefreshResult } from '../core/auth-api.js';
import type { TokenContext } from '../core/context.js';
import { clearingCookies, readCookie } from '../core/cookies.js';
import { checkCsrf } from '../core/csrf.js';
import { AuthError, isAuthError, type AuthErrorCode } from '../core/errors.js';
import { rotate } from '../core/rotation.js';
import { toInfo } from '../core/sessions.js';
import type { AuthRequest, SessionRecord } from '../core/types.js';
import { accessFor, refreshCookieFor } from './issue.js';

/** Refusals after which the refresh cookie is useless, so the answer clears it. */
const CLEARS_COOKIES: ReadonlySet<AuthErrorCode> = new Set(['session_invalid', 'session_expired', 'token_expired', 'refresh_reused']);

/** Rotates `token` and issues the next access token and refresh cookie. */
export async function refreshWith(tk: TokenContext, token: string): Promise<RefreshResult> {
  try {
    // With a claims hook (app code that may fail), sign before the rotation is committed: a failure on our
    // side must never spend the presented generation. Without one, signing is local and cannot fail that way.
    const prepare = tk.tokenOptions.claims ? (next: SessionRecord) => accessFor(tk, next) : undefined;
    const { record, refreshToken, prepared } = await rotate(tk, token, prepare);
    const { accessToken, expiresIn } = prepared ?? (await accessFor(tk, record));
    return { session: toInfo(record), accessToken, refreshToken, expiresIn, setCookies: [refreshCookieFor(tk, record, refreshToken)] };
  } catch (error) {
    if (isAuthError(error) && CLEARS_COOKIES.has(error.code)) throw error.withCookies(clearingCookies(tk.options.cookies));
    throw error;
  }
}

/** Refreshes from `{ refreshToken }` (apps) or from a request's refresh cookie (CSRF-checked). */
export async function refresh(tk: TokenContext, input: AuthRequest | { refreshToken: string }): Promise<RefreshResult> {
  if (input && typeof (input as { refreshToken?: unknown }).refreshToken === 'string') {
    return refreshWith(tk, (input as { refreshToken: string }).refreshToken);
  }
  const request = input as AuthRequest;
  const token = readCookie(request, tk.options.cookies.refreshName);
  if (token === undefined) throw new AuthError('credentials_missing');
  checkCsrf(request, tk.options);
  return refreshWith(tk, token);
}
