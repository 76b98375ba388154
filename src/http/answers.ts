// The HTTP answers layer: every outcome of a latchkey route as a plain `{ status, headers, setCookies, body }`,
// which each framework adapter writes as is. It sits above the core and imports it relatively; the entry files
// are the only ones that name the package, and the build keeps one core chunk, so there is one AuthError class
// and one `Register` at run time and in the .d.ts files.
import type { RefreshResult, Resolution } from '../core/auth-api.js';
import type { Duration } from '../core/duration.js';
import { errorAnswer } from '../core/error-answer.js';
import { AuthError, type AuthErrorCode } from '../core/errors.js';
import { assertFresh, parseMaxAge, type MaxAge } from '../core/freshness.js';
import type { AuthContext } from '../core/types.js';

/** An HTTP answer for an AuthError: status, headers and a JSON body `{ error: code }`. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  setCookies: readonly string[];
  /** `maxAge` (seconds) comes with `reauthentication_required`: how recent a sign-in the UI must ask for. */
  body: { error: AuthErrorCode; maxAge?: number };
}

/** A successful answer an adapter writes as is: status, headers, Set-Cookie lines and a JSON body (`null`: none). */
export interface SuccessResponse<Body> {
  status: number;
  headers: Record<string, string>;
  setCookies: readonly string[];
  body: Body;
}

/** Options for `requireAuth`: an authorisation check that answers 403 when it returns false. */
export interface RequireAuthOptions {
  check?: (auth: AuthContext) => boolean | Promise<boolean>;
  /**
   * Step-up: a sign-in older than this answers 401 `reauthentication_required` with
   * `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=<seconds>` (RFC 9470).
   */
  maxAge?: Duration;
}

const MAX_AGES = new WeakMap<RequireAuthOptions, MaxAge>();

/**
 * Maps an AuthError to its HTTP response: RFC 6750 `WWW-Authenticate` on 401 (and 403 from `check`),
 * `Retry-After` on 503, a stable body, and nothing internal. Adapters write it as is.
 * @example
 * const answer = errorResponse(new AuthError('credentials_missing')); // 401, WWW-Authenticate: Bearer realm="latchkey"
 */
export function errorResponse(error: AuthError): ErrorResponse {
  const { status, headers, body } = errorAnswer(error);
  return { status, headers, setCookies: error.setCookies, body };
}

/**
 * Validates `requireAuth` options when the middleware is created, not per request.
 * @example
 * const checked = requireAuthOptions({ check: (auth) => auth.userId === '1' });
 */
export function requireAuthOptions(options: RequireAuthOptions = {}): RequireAuthOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('latchkey: requireAuth takes an options object, e.g. requireAuth({ check: (auth) => auth.data?.role === "admin" }).');
  if (options.check !== undefined && typeof options.check !== 'function') throw new TypeError('latchkey: requireAuth({ check }) needs check to be a function (auth) => boolean.');
  if (options.maxAge !== undefined) MAX_AGES.set(options, parseMaxAge(options.maxAge));
  return options;
}

/**
 * An app-wide default for `requireAuth` (NestJS `forRoot({ requireAuth })`): `false` for none, else the checked options
 * (`true` is `{}`), validated when the module is made.
 * @example
 * const fallback = defaultRequireAuth(options.requireAuth ?? false, 'forRoot'); // false | RequireAuthOptions
 */
export function defaultRequireAuth(requireAuth: unknown, where: string): RequireAuthOptions | false {
  if (typeof requireAuth !== 'boolean' && (typeof requireAuth !== 'object' || requireAuth === null)) {
    throw new TypeError(`latchkey: ${where}({ requireAuth }) takes true, false or requireAuth options such as { maxAge: "1h" }.`);
  }
  return requireAuth === false ? false : requireAuthOptions(requireAuth === true ? {} : (requireAuth as RequireAuthOptions));
}

/**
 * What `requireAuth` decides for a resolved request: the context, or the AuthError to answer with
 * (the refused credential's 401, `credentials_missing`, `reauthentication_required` from `maxAge` measured on
 * the Auth's clock at resolution, or `forbidden` from `check`). Every requireAuth option is decided here, so a
 * new option changes this one function and every adapter follows.
 * @example
 * const auth = await requireContext(await kit.resolve(carrier), checked);
 */
export async function requireContext(resolution: Pick<Resolution, 'auth' | 'error'> & { at?: number }, options: RequireAuthOptions = {}): Promise<AuthContext> {
  const { auth, error } = resolution;
  if (!auth) throw error ?? new AuthError('credentials_missing');
  if (options.maxAge !== undefined) {
    const maxAge = MAX_AGES.get(options) ?? parseMaxAge(options.maxAge);
    assertFresh(auth, maxAge, resolution.at ?? Date.now());
  }
  if (options.check && !(await options.check(auth))) throw new AuthError('forbidden');
  return auth;
}

/** The body of a successful refresh: `refreshToken` only for a client that sent its token itself (not by cookie). */
export interface RefreshBody {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
}

/**
 * The answer to a successful refresh, never cached: 200 `{ accessToken, expiresIn }` with the rotated refresh cookie
 * when the token came by cookie; 200 `{ accessToken, expiresIn, refreshToken }` and no cookie when the client sent
 * it itself (`Authorization: Refresh`, a JSON body): a native app or CLI keeps it, e.g. in the OS keychain.
 * @example
 * const answer = refreshResponse(await auth.refresh(request));
 */
export function refreshResponse(result: RefreshResult): SuccessResponse<RefreshBody> {
  const headers = { 'cache-control': 'no-store' };
  const { accessToken, expiresIn } = result;
  if (result.via === 'token') return { status: 200, headers, setCookies: [], body: { accessToken, expiresIn, refreshToken: result.refreshToken } };
  return { status: 200, headers, setCookies: result.setCookies, body: { accessToken, expiresIn } };
}

/**
 * The answer to sign-out: 204, no body, and the lines that clear both cookies.
 * @example
 * const answer = signOutResponse(await auth.signOutRequest(request));
 */
export function signOutResponse(result: { setCookies: readonly string[] }): SuccessResponse<null> {
  return { status: 204, headers: { 'cache-control': 'no-store' }, setCookies: result.setCookies, body: null };
}
