// The 401 answer of a resource server: RFC 6750 `WWW-Authenticate` and the JSON body, the same bytes the core's
// adapters send (src/http/answers.ts, errorResponse: that module loads the whole core, so it is restated here,
// with a configurable realm quoted per RFC 9110 quoted-string; test/verify/challenge.test.ts compares the two).
import { isAuthError, type AuthError } from '../core/errors.js';

/** Options of the challenge helpers. */
export interface ChallengeOptions {
  /** The `realm` of the challenge. Default `'latchkey'`, as the core's adapters send. */
  realm?: string;
}

const DEFAULT_REALM = 'latchkey';

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
 * with `max_age` (RFC 9470) for a sign-in too old, `insufficient_scope` for `forbidden`.
 * @example
 * response.headers.set('www-authenticate', wwwAuthenticate(error) ?? '');
 */
export function wwwAuthenticate(error: AuthError, options: ChallengeOptions = {}): string | undefined {
  const realm = quotedString(options.realm ?? DEFAULT_REALM);
  if (error.code === 'reauthentication_required') return `Bearer error="insufficient_user_authentication", max_age=${error.maxAge ?? 0}`;
  if (error.code === 'credentials_missing') return `Bearer realm=${realm}`;
  if (error.status === 401) return `Bearer realm=${realm}, error="invalid_token", error_description="${error.code}"`;
  if (error.code === 'forbidden') return `Bearer realm=${realm}, error="insufficient_scope"`;
  return undefined;
}

/**
 * The Web `Response` for an AuthError: its status, `WWW-Authenticate`, `Cache-Control: no-store`, `Retry-After` on
 * 503, and the body `{ "error": code }` (with `maxAge` for step-up). Anything that is not an AuthError is thrown
 * again: a bug is never answered as a refusal.
 * @example
 * try { await verifier.verify(request) } catch (error) { return authErrorResponse(error) }
 */
export function authErrorResponse(error: unknown, options: ChallengeOptions = {}): Response {
  if (!isAuthError(error)) throw error;
  const headers = new Headers({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' });
  const challenge = wwwAuthenticate(error, options);
  if (challenge !== undefined) headers.set('www-authenticate', challenge);
  if (error.code === 'store_unavailable') headers.set('retry-after', '1');
  const body = error.code === 'reauthentication_required' ? { error: error.code, maxAge: error.maxAge ?? 0 } : { error: error.code };
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
