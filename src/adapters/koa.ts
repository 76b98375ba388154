import type { Context, Middleware } from 'koa';
import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext } from '../core/types.js';
import { adapterKit, type Binding, type Step } from '../http/kit.js';
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
  /** Middleware that sets `ctx.state.auth` (or `null`) and never refuses a request for a stale credential. */
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
};

/** Koa middleware over a kit step: writes its answer, or awaits `next()`; other errors are rethrown to Koa. */
function middleware(step: Step<Context>): Middleware {
  return function latchkeyMiddleware(ctx, next) {
    const outcome = step(ctx);
    if (settledValue(outcome) === null) return next(); // settled at once: no promise turn before the app
    return outcome.then((answer) => {
      if (answer === null) return next();
      ctx.set(answer.headers);
      ctx.status = answer.status;
      ctx.body = answer.body;
    });
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
    authenticate: () => middleware(kit.authenticate),
    requireAuth: (options) => middleware(kit.requireAuth(options)),
    signIn: (ctx, input) => kit.signIn(ctx, input),
    refresh: () => middleware(kit.refresh),
    signOut: () => middleware(kit.signOut),
  };
}
