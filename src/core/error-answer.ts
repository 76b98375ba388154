// The HTTP answer to an AuthError, written once for the adapter kit (src/http/answers.ts, errorResponse) and
// latchkey/verify (src/verify/challenge.ts, authErrorResponse): status, RFC 6750 `WWW-Authenticate`,
// `Cache-Control: no-store`, `Retry-After` on 503, and the body `{ error: code }`. Node-free.
import type { AuthError, AuthErrorCode } from './errors.js';

/** The realm of latchkey's challenges unless a resource server names its own. */
export const DEFAULT_REALM = 'latchkey';
const QUOTED_DEFAULT_REALM = `"${DEFAULT_REALM}"`;

/** An AuthError as HTTP: its status, headers and JSON body (`maxAge`, in seconds, with `reauthentication_required`). */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: AuthErrorCode; maxAge?: number };
}

/**
 * A string as an RFC 9110 quoted-string: `"` and `\` escaped; control characters (a header-splitting attempt) refused.
 * @example
 * quotedString('api "v2"'); // '"api \\"v2\\""'
 */
export function quotedString(value: string): string {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || /[^\u0000-\u00ff]/.test(value)) {
    throw new TypeError('latchkey: a WWW-Authenticate realm may hold printable Latin-1 characters only (no line breaks or control characters).');
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `WWW-Authenticate` value for an AuthError (`undefined` for errors that carry none, such as a 503): the realm
 * alone when nothing was presented, `error="invalid_token"` for a refused token, `insufficient_user_authentication`
 * with `max_age` (RFC 9470) for a sign-in too old, `insufficient_scope` for `forbidden`. `quotedRealm` is already a
 * quoted-string (quotedString).
 * @example
 * challengeFor(new AuthError('credentials_missing')); // 'Bearer realm="latchkey"'
 */
export function challengeFor(error: AuthError, quotedRealm: string = QUOTED_DEFAULT_REALM): string | undefined {
  if (error.code === 'reauthentication_required') return `Bearer error="insufficient_user_authentication", max_age=${error.maxAge ?? 0}`;
  if (error.code === 'credentials_missing') return `Bearer realm=${quotedRealm}`;
  if (error.status === 401) return `Bearer realm=${quotedRealm}, error="invalid_token", error_description="${error.code}"`;
  if (error.code === 'forbidden') return `Bearer realm=${quotedRealm}, error="insufficient_scope"`;
  return undefined;
}

/**
 * The answer to an AuthError: nothing internal, the same bytes from every adapter and from latchkey/verify.
 * @example
 * const { status, headers, body } = errorAnswer(new AuthError('store_unavailable')); // 503, Retry-After: 1
 */
export function errorAnswer(error: AuthError, quotedRealm: string = QUOTED_DEFAULT_REALM): ErrorAnswer {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  const challenge = challengeFor(error, quotedRealm);
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  if (error.code === 'store_unavailable') headers['retry-after'] = '1';
  const body = error.code === 'reauthentication_required' ? { error: error.code, maxAge: error.maxAge ?? 0 } : { error: error.code };
  return { status: error.status, headers, body };
}
