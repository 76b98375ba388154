import type { Context, Middleware } from 'koa';
import {
  errorResponse,
  isAuthError,
  refreshResponse,
  requireAuthOptions,
  requireContext,
  signOutResponse,
  type Auth,
  type AuthContext,
  type AuthRequest,
  type ErrorResponse,
  type RequireAuthOptions,
  type Resolution,
  type SignInInput,
  type SignInResult,
  type SuccessResponse,
} from 'latchkey';

declare module 'koa' {
  interface DefaultState {
    /** Who made the request, set by latchkey's `authenticate()` / `requireAuth()`; `null` when nobody is signed in. */
    auth: AuthContext | null;
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

function toAuthRequest(ctx: Context): AuthRequest {
  return { method: ctx.method, headers: ctx.headers };
}

/** Appends Set-Cookie lines, keeping every line the app (or an earlier step) already set and skipping repeats. */
function appendCookies(ctx: Context, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const current: unknown = ctx.response.headers['set-cookie'];
  const present = new Set(Array.isArray(current) ? current : typeof current === 'string' ? [current] : []);
  const fresh = lines.filter((line) => !present.has(line));
  if (fresh.length > 0) ctx.append('Set-Cookie', fresh);
}

function send(ctx: Context, answer: ErrorResponse | SuccessResponse<unknown>): void {
  appendCookies(ctx, answer.setCookies);
  ctx.set(answer.headers);
  ctx.status = answer.status;
  ctx.body = answer.body;
}

/** Answers an AuthError with its status, headers and `{ error: code }`; anything else is rethrown to Koa. */
function fail(ctx: Context, error: unknown): void {
  if (!isAuthError(error)) throw error;
  send(ctx, errorResponse(error));
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
  // this instance's slot on a request: its pending resolution, shared by authenticate and requireAuth
  const kPending = Symbol('latchkey.pending');

  /** Resolves a request once (authenticate and requireAuth may both run) and sets `ctx.state.auth`. */
  function resolve(ctx: Context): Promise<Resolution> {
    const slot = ctx as Context & { [kPending]?: Promise<Resolution> };
    return (slot[kPending] ??= auth.resolve(toAuthRequest(ctx)).then((resolution) => {
      ctx.state.auth = resolution.auth;
      appendCookies(ctx, resolution.setCookies);
      return resolution;
    }));
  }

  return {
    authenticate() {
      return async function latchkeyAuthenticate(ctx, next) {
        try {
          await resolve(ctx);
        } catch (error) {
          return fail(ctx, error);
        }
        await next();
      };
    },

    requireAuth(options = {}) {
      const checked = requireAuthOptions(options);
      return async function latchkeyRequireAuth(ctx, next) {
        try {
          await requireContext(await resolve(ctx), checked);
        } catch (error) {
          return fail(ctx, error);
        }
        await next();
      };
    },

    async signIn(ctx, input) {
      const meta = input.meta ?? { userAgent: ctx.get('user-agent'), ip: ctx.ip };
      const result = await auth.signIn({ ...input, meta });
      appendCookies(ctx, result.setCookies);
      return result;
    },

    refresh() {
      return async function latchkeyRefresh(ctx) {
        try {
          send(ctx, refreshResponse(await auth.refresh(toAuthRequest(ctx))));
        } catch (error) {
          fail(ctx, error);
        }
      };
    },

    signOut() {
      return async function latchkeySignOut(ctx) {
        try {
          send(ctx, signOutResponse(await auth.signOutRequest(toAuthRequest(ctx))));
        } catch (error) {
          fail(ctx, error);
        }
      };
    },
  };
}
