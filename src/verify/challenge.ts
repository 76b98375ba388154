// The 401 answer of a resource server: the core's answer to an AuthError (src/core/error-answer.ts, the bytes every
// adapter sends) as a Web Response, with a configurable realm quoted per RFC 9110 quoted-string.
import { challengeFor, DEFAULT_REALM, errorAnswer, quotedString } from '../core/error-answer.js';
import { isAuthError, type AuthError } from '../core/errors.js';

/** Options of the challenge helpers. */
export interface ChallengeOptions {
  /** The `realm` of the challenge. Default `'latchkey'`, as the core's adapters send. */
  realm?: string;
}

/**
 * The `WWW-Authenticate` value for an AuthError (`undefined` for errors that carry none, such as a 503): the realm
 * alone when nothing was presented, `error="invalid_token"` for a refused token, `insufficient_user_authentication`
 * with `max_age` (RFC 9470) for a sign-in too old, `insufficient_scope` for `forbidden`.
 * @example
 * response.headers.set('www-authenticate', wwwAuthenticate(error) ?? '');
 */
export function wwwAuthenticate(error: AuthError, options: ChallengeOptions = {}): string | undefined {
  return challengeFor(error, quotedString(options.realm ?? DEFAULT_REALM));
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
  const { status, headers, body } = errorAnswer(error, quotedString(options.realm ?? DEFAULT_REALM));
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
}
