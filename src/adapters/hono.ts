import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext } from '../core/types.js';
import { adapterKit, type Answer, type Binding, type Step } from '../http/kit.js';
import { settledValue } from '../lib/settled.js';
import { readJSONBody, webAnswer } from '../http/web.js';
import type { RequireAuthOptions } from '../http/answers.js';

/** The Hono variables latchkey sets: `c.get('auth')`, typed by latchkey's `Register`. */
export interface LatchkeyVariables {
  /** Who made the request, set by `authenticate()` / `requireAuth()`; `null` when nobody is signed in. */
  auth: AuthContext | null;
}

/** The Hono `Env` of latchkey's middleware, to merge into an app's: `new Hono<LatchkeyEnv>()`. */
export interface LatchkeyEnv {
  Variables: LatchkeyVariables;
}

declare module 'hono' {
  // c.get('auth') is typed in every handler, as req.auth is on Express.
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface ContextVariableMap extends LatchkeyVariables {}
}

/** Options for `latchkey(auth, options)` on Hono. */
export interface HonoLatchkeyOptions {
  /** The client address `signIn` records as `meta.ip`; default: the socket address on `@hono/node-server`. */
  ip?: (c: Context) => string | undefined;
}

/** The Hono verbs returned by `latchkey(auth)`. */
export interface HonoLatchkey<Tokens extends boolean = boolean> {
  /** Middleware that sets `c.get('auth')` (or `null`) and never refuses a request for a stale credential. */
  authenticate(): MiddlewareHandler<LatchkeyEnv>;
  /** Middleware that answers 401 when nobody is signed in, and 403 when `check` returns false. */
  requireAuth(options?: RequireAuthOptions): MiddlewareHandler<LatchkeyEnv>;
  /** Signs a user in, adds both Set-Cookie lines to the response being built, and returns the core's result. */
  signIn(c: Context, input: SignInInput): Promise<SignInResult<Tokens>>;
  /** Route handler: rotates the refresh cookie and answers 200 `{ accessToken, expiresIn }`. */
  refresh(): MiddlewareHandler<LatchkeyEnv>;
  /** Route handler: ends the request's session, clears both cookies and answers 204. */
  signOut(): MiddlewareHandler<LatchkeyEnv>;
  /**
   * `app.onError(lk.onError)`: an AuthError a route throws (`signIn`'s 403 or 503) gets its JSON answer; any other
   * error gets Hono's default (an `HTTPException`'s response, else a logged 500). With an error handler of your own:
   * `app.onError((err, c) => (isAuthError(err) ? lk.onError(err, c) : yours(err, c)))`.
   */
  onError: ErrorHandler;
}

/** The Node request `@hono/node-server` passes as `c.env.incoming` (its documented `HttpBindings`), if any. */
type NodeIncoming = { headers: Readonly<Record<string, string | string[] | undefined>>; socket?: { remoteAddress?: string } };
const incoming = (c: Context): NodeIncoming | undefined => (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;

/** Writes an answer through `c.body`, so the Set-Cookie lines added with `c.header` go with it. */
function send(c: Context, answer: Answer): Response {
  const { body, status, headers } = webAnswer(answer);
  return body === null ? c.body(null, status as StatusCode, headers) : c.body(body, status as ContentfulStatusCode, headers);
}

/** Hono middleware over a kit step: answers, or awaits `next()`; other errors reach `app.onError`. */
function middleware(step: Step<Context>): MiddlewareHandler<LatchkeyEnv> {
  return function latchkeyMiddleware(c, next) {
    const outcome = step(c);
    if (settledValue(outcome) === null) return next(); // settled at once: no promise turn before the app
    return outcome.then((answer): Promise<void | Response> | Response => (answer === null ? next() : send(c, answer)));
  };
}

/**
 * Hono middleware for an Auth: `c.get('auth')`, `requireAuth`, `signIn`, `refresh`, `signOut`.
 * @example
 * const lk = latchkey(auth);
 * app.use('*', lk.authenticate());
 * app.get('/me', lk.requireAuth(), (c) => c.json(c.get('auth')));
 * app.post('/auth/refresh', lk.refresh());
 * app.onError(lk.onError); // a cross-site sign-in answers 403 JSON, a frozen store 503
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>, options: HonoLatchkeyOptions = {}): HonoLatchkey<Tokens> {
  const binding: Binding<Context> = {
    // On @hono/node-server, Node's header record: the core reads it as is, without building a Headers object.
    request: (c) => ({ method: c.req.method, headers: incoming(c)?.headers ?? c.req.raw.headers }),
    appendCookies: (c, lines) => lines.forEach((line) => c.header('set-cookie', line, { append: true })),
    setAuth: (c, value) => c.set('auth', value),
    ip: options.ip ?? ((c) => incoming(c)?.socket?.remoteAddress),
    body: (c) => readJSONBody(c.req.raw),
  };
  const kit = adapterKit(auth, binding);
  return {
    authenticate: () => middleware(kit.authenticate),
    requireAuth: (guardOptions) => middleware(kit.requireAuth(guardOptions)),
    signIn: (c, input) => kit.signIn(c, input),
    refresh: () => async (c) => send(c, await kit.refresh(c)),
    signOut: () => async (c) => send(c, await kit.signOut(c)),
    onError(error, c) {
      try {
        return send(c, kit.answer(c, error));
      } catch {
        // Hono's own default for everything else
        if (typeof (error as { getResponse?: unknown }).getResponse === 'function') return (error as { getResponse(): Response }).getResponse();
        console.error(error);
        return c.text('Internal Server Error', 500);
      }
    },
  };
}
