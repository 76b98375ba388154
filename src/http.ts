import { AuthError, isAuthError, type AuthErrorCode } from './errors.js';
import type { Resolution } from './auth.js';
import type { AuthContext } from './types.js';

/** An HTTP answer for an AuthError: status, headers and a JSON body `{ error: code }`. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  setCookies: readonly string[];
  body: { error: AuthErrorCode };
}

/** Options for `requireAuth`: an authorisation check that answers 403 when it returns false. */
export interface RequireAuthOptions {
  check?: (auth: AuthContext) => boolean | Promise<boolean>;
}

const REALM = 'latchkey';

/**
 * Maps an AuthError to its HTTP response: RFC 6750 `WWW-Authenticate` on 401 (and 403 from `check`),
 * `Retry-After` on 503, a stable body, and nothing internal. Adapters write it as is.
 */
export function errorResponse(error: AuthError): ErrorResponse {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.code === 'credentials_missing') headers['www-authenticate'] = `Bearer realm="${REALM}"`;
  else if (error.status === 401) headers['www-authenticate'] = `Bearer realm="${REALM}", error="invalid_token", error_description="${error.code}"`;
  else if (error.code === 'forbidden') headers['www-authenticate'] = `Bearer realm="${REALM}", error="insufficient_scope"`;
  if (error.code === 'store_unavailable') headers['retry-after'] = '1';
  return { status: error.status, headers, setCookies: error.setCookies, body: { error: error.code } };
}

/**
 * What `requireAuth` decides for a resolved request: the context, or the AuthError to answer with
 * (the refused credential's 401, `credentials_missing`, or `forbidden` from `check`).
 */
export async function requireContext(resolution: Pick<Resolution, 'auth' | 'error'>, options: RequireAuthOptions = {}): Promise<AuthContext> {
  const { auth, error } = resolution;
  if (!auth) throw error ?? new AuthError('credentials_missing');
  if (options.check && !(await options.check(auth))) throw new AuthError('forbidden');
  return auth;
}

export { isAuthError };
