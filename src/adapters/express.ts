import type { NextFunction, Request, RequestHandler, Response } from 'express';
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

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Who made the request, set by latchkey's `authenticate()` / `requireAuth()`; `null` when nobody is signed in. */
      auth: AuthContext | null;
    }
  }
}

/** The Express verbs returned by `latchkey(auth)`. */
export interface ExpressLatchkey<Tokens extends boolean = boolean> {
  /** Middleware that sets `req.auth` (or `null`) and never refuses a request for a stale credential. */
  authenticate(): RequestHandler;
  /** Middleware that answers 401 when nobody is signed in, and 403 when `check` returns false. */
  requireAuth(options?: RequireAuthOptions): RequestHandler;
  /** Signs a user in, appends both Set-Cookie lines to `res`, and returns the core's result. */
  signIn(req: Request, res: Response, input: SignInInput): Promise<SignInResult<Tokens>>;
  /** Route handler: rotates the refresh cookie and answers 200 `{ accessToken, expiresIn }`. */
  refresh(): RequestHandler;
  /** Route handler: ends the request's session, clears both cookies and answers 204. */
  signOut(): RequestHandler;
}

function toAuthRequest(req: Request): AuthRequest {
  return { method: req.method, headers: req.headers };
}

/** Appends Set-Cookie lines, keeping every line the app (or an earlier step) already set and skipping repeats. */
function appendCookies(res: Response, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const current = res.getHeader('set-cookie');
  const present = new Set(Array.isArray(current) ? current : typeof current === 'string' ? [current] : []);
  const fresh = lines.filter((line) => !present.has(line));
  if (fresh.length > 0) res.append('Set-Cookie', fresh);
}

function send(res: Response, answer: ErrorResponse | SuccessResponse<unknown>): void {
  appendCookies(res, answer.setCookies);
  res.status(answer.status).set(answer.headers);
  if (answer.body === null) res.end();
  else res.json(answer.body);
}

/** Answers an AuthError with its status, headers and `{ error: code }`; anything else goes to `next(err)`. */
function fail(res: Response, next: NextFunction, error: unknown): void {
  if (isAuthError(error)) send(res, errorResponse(error));
  else next(error);
}

/**
 * Express middleware and handlers for an Auth: `req.auth`, `requireAuth`, `signIn`, `refresh`, `signOut`.
 * @example
 * const lk = latchkey(auth);
 * app.use(lk.authenticate());
 * app.get('/me', lk.requireAuth(), (req, res) => res.json(req.auth));
 * app.post('/auth/refresh', lk.refresh());
 * app.post('/auth/logout', lk.signOut());
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>): ExpressLatchkey<Tokens> {
  // this instance's slot on a request: its pending resolution, shared by authenticate and requireAuth
  const kPending = Symbol('latchkey.pending');

  /** Resolves a request once (authenticate and requireAuth may both run) and sets `req.auth`. */
  function resolve(req: Request, res: Response): Promise<Resolution> {
    const slot = req as Request & { [kPending]?: Promise<Resolution> };
    return (slot[kPending] ??= auth.resolve(toAuthRequest(req)).then((resolution) => {
      req.auth = resolution.auth;
      appendCookies(res, resolution.setCookies);
      return resolution;
    }));
  }

  return {
    authenticate() {
      return async function latchkeyAuthenticate(req, res, next) {
        try {
          await resolve(req, res);
        } catch (error) {
          return fail(res, next, error);
        }
        next();
      };
    },

    requireAuth(options = {}) {
      const checked = requireAuthOptions(options);
      return async function latchkeyRequireAuth(req, res, next) {
        try {
          await requireContext(await resolve(req, res), checked);
        } catch (error) {
          return fail(res, next, error);
        }
        next();
      };
    },

    async signIn(req, res, input) {
      const meta = input.meta ?? { userAgent: req.get('user-agent'), ip: req.ip };
      const result = await auth.signIn({ ...input, meta });
      appendCookies(res, result.setCookies);
      return result;
    },

    refresh() {
      return async function latchkeyRefresh(req, res, next) {
        try {
          send(res, refreshResponse(await auth.refresh(toAuthRequest(req))));
        } catch (error) {
          fail(res, next, error);
        }
      };
    },

    signOut() {
      return async function latchkeySignOut(req, res, next) {
        try {
          send(res, signOutResponse(await auth.signOutRequest(toAuthRequest(req))));
        } catch (error) {
          fail(res, next, error);
        }
      };
    },
  };
}
