import type { Context, Middleware } from 'koa';
import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext } from '../core/types.js';
import { adapterKit, type AdapterKit, type Answer, type Binding, type Step } from '../http/kit.js';
import { settledValue } from '../lib/settled.js';
import type { RequireAuthOptions } from '../http/answers.js';

declare module 'koa' {
  interface DefaultState {
    /** Who made the request, set by `authenticate()` / `requireAuth()`: `null` when nobody is signed in, `undefined` where neither runs. */
    auth?: AuthContext | null;
  }
}

/** The Koa verbs returned by `latchkey(auth)`. */
export interface KoaLatchkey<Tokens extends boolean = boolean> {
  /**
   * Middleware that sets `ctx.state.auth` (or `null`) and never refuses a request for a stale credential. It also
   * answers an AuthError thrown by the middleware and routes after it (`signIn`'s 403 or 503) with its JSON answer.
   */
  authenticate(): Middleware;
  /** Middleware that answers 401 when nobody is signed in, and 403 when `check` returns false. */
  requireAuth(options?: RequireAuthOptions): Middleware;
  /** Signs a user in, appends both Set-Cookie lines to the response, and returns the core's result. */
  signIn(ctx: Context, input: SignInInput): Promise<SignInResult<Tokens>>;
  /** Route middleware: rotates the refresh cookie and answers 200 `{ accessToken, expiresIn }`. */
  refresh(): Middleware;
  /** Route middleware: ends the request's session, clears both cookies and answers 204. */
  signOut(): Middleware;
}

const binding: Binding<Context> = {
  request: (ctx) => ({ method: ctx.method, headers: ctx.headers }),
  currentCookies: (ctx) => ctx.response.headers['set-cookie'],
  appendCookies: (ctx, lines) => ctx.append('Set-Cookie', [...lines]),
  setAuth: (ctx, auth) => void (ctx.state.auth = auth),
  ip: (ctx) => ctx.ip,
  body: (ctx) => (ctx.request as { body?: unknown }).body, // set by a body parser (@koa/bodyparser) when the app mounts one
};

function write(ctx: Context, answer: Answer): void {
  ctx.set(answer.headers);
  ctx.status = answer.status;
  ctx.body = answer.body;
}

/** Koa middleware over a kit step: writes its answer, or awaits `next()`; other errors are rethrown to Koa. */
function middleware(step: Step<Context>): Middleware {
  return function latchkeyMiddleware(ctx, next) {
    const outcome = step(ctx);
    if (settledValue(outcome) === null) return next(); // settled at once: no promise turn before the app
    return outcome.then((answer) => (answer === null ? next() : write(ctx, answer)));
  };
}

/** `authenticate()`: the kit's step, and the answer to an AuthError the rest of the request throws (Koa would send text). */
function authenticating<Tokens extends boolean>(kit: AdapterKit<Context, Tokens>): Middleware {
  const downstream = (ctx: Context, next: () => Promise<unknown>): Promise<unknown> =>
    next().then(undefined, (error: unknown) => {
      if (ctx.headerSent) throw error;
      write(ctx, kit.answer(ctx, error)); // rethrows anything but an AuthError, to the app's handler or Koa's
    });
  return function latchkeyAuthenticate(ctx, next) {
    const outcome = kit.authenticate(ctx);
    if (settledValue(outcome) === null) return downstream(ctx, next);
    return outcome.then((answer) => (answer === null ? downstream(ctx, next) : write(ctx, answer)));
  };
}

/**
 * Koa middleware for an Auth: `ctx.state.auth`, `requireAuth`, `signIn`, `refresh`, `signOut`.
 * @example
 * const lk = latchkey(auth);
 * app.use(lk.authenticate());
 * router.get('/me', lk.requireAuth(), (ctx) => { ctx.body = ctx.state.auth; });
 * router.post('/auth/refresh', lk.refresh());
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>): KoaLatchkey<Tokens> {
  const kit = adapterKit(auth, binding);
  return {
    authenticate: () => authenticating(kit),
    requireAuth: (options) => middleware(kit.requireAuth(options)),
    signIn: (ctx, input) => kit.signIn(ctx, input),
    refresh: () => middleware(kit.refresh),
    signOut: () => middleware(kit.signOut),
  };
}
