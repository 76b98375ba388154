// signInAs: a signed-in user for a test, in one call, through the real `auth.signIn` (nothing is weakened at run
// time: the session is stored, hashed and checked exactly as a browser's would be). Runner-agnostic.
import type { Auth, SignInInput } from '../core/auth-api.js';
import type { SessionInfo } from '../core/types.js';

/** What `signInAs` returns: headers ready to send, and the raw credentials. */
export interface SignedInAs {
  /** A `Cookie` header value with the session cookie and the refresh cookie, e.g. `fetch(url, { headers: { cookie } })`. */
  cookie: string;
  /** `Bearer <access token>`, or `undefined` when the Auth issues no tokens (no `keys`). */
  authorization: string | undefined;
  /** The access JWT, or `undefined` without tokens. */
  accessToken: string | undefined;
  /** The refresh token (for `{ refreshToken }` bodies or `Authorization: Refresh`), or `undefined` without tokens. */
  refreshToken: string | undefined;
  /** The new session. */
  session: SessionInfo;
}

/**
 * Signs a user in for a test through `auth.signIn` (no request, so no CSRF check) and returns its credentials
 * as headers a test sends as they are.
 * @example
 * const as = await signInAs(auth, { userId: '42', data: { role: 'admin' } });
 * const res = await fetch(`${url}/admin`, { headers: { cookie: as.cookie } });
 */
export async function signInAs(auth: Pick<Auth<boolean>, 'signIn'>, input: Omit<SignInInput, 'request'>): Promise<SignedInAs> {
  const result = await auth.signIn(input);
  const cookie = result.setCookies.map((line) => line.slice(0, line.indexOf(';') < 0 ? undefined : line.indexOf(';'))).join('; ');
  return {
    cookie,
    authorization: result.accessToken === undefined ? undefined : `Bearer ${result.accessToken}`,
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    session: result.session,
  };
}
