import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext } from '../core/types.js';
import { adapterKit, type Answer, type Binding, type Step } from '../http/kit.js';
import { settledValue } from '../lib/settled.js';
import type { RequireAuthOptions } from '../http/answers.js';
import { expressPlatform } from './platforms.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * Who made the request, set by latchkey's `authenticate()` / `requireAuth()`: `null` when nobody is signed in,
       * `undefined` on routes neither middleware reaches. Test it with `if (req.auth)`, not `!== null`.
       */
      auth?: AuthContext | null;
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
  /** Error middleware, mounted after the routes: an AuthError (`signIn`'s 403 or 503) gets its JSON answer, any other error goes on to `next(err)`. */
  errorHandler(): ErrorRequestHandler;
  /** Wraps an async route so that its rejection reaches `next(err)` (Express 4 leaves it unhandled, which ends the process). */
  route(handler: (req: Request, res: Response, next: NextFunction) => unknown): RequestHandler;
}

const { binding, send } = expressPlatform;

/**
 * Express middleware over a kit step: writes its answer, or calls `next()`; other errors go to `next(err)`.
 * A step that settled at once (a cookie on the memory store, a cached token) goes on without a promise turn.
 */
function middleware(step: Step<Response>): RequestHandler {
  return function latchkeyMiddleware(_req, res, next) {
    const outcome = step(res);
    if (settledValue(outcome) === null) return next();
    return outcome.then((answer) => (answer === null ? next() : send(res, answer)), next);
  };
}

/**
 * Express middleware and handlers for an Auth: `req.auth`, `requireAuth`, `signIn`, `refresh`, `signOut`.
 * @example
 * const lk = latchkey(auth);
 * app.use(lk.authenticate());
 * app.get('/me', lk.requireAuth(), (req, res) => res.json(req.auth));
 * app.post('/auth/refresh', lk.refresh());
 * app.post('/auth/logout', lk.signOut());
 * app.post('/login', lk.route(async (req, res) => res.json(await lk.signIn(req, res, { userId: '1' }))));
 * app.use(lk.errorHandler()); // after the routes: a cross-site sign-in answers 403 JSON, a frozen store 503
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>): ExpressLatchkey<Tokens> {
  const kit = adapterKit(auth, binding);
  return {
    authenticate: () => middleware(kit.authenticate),
    requireAuth: (options) => middleware(kit.requireAuth(options)),
    signIn: (_req, res, input) => kit.signIn(res, input),
    refresh: () => middleware(kit.refresh),
    signOut: () => middleware(kit.signOut),
    errorHandler: () =>
      function latchkeyErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
        if (res.headersSent) return next(error);
        let answer: Answer;
        try {
          answer = kit.answer(res, error);
        } catch {
          return next(error); // not an AuthError: the app's error handler decides
        }
        send(res, answer);
      },
    route: (handler) =>
      function latchkeyRoute(req, res, next) {
        try {
          const outcome = handler(req, res, next);
          if (outcome instanceof Promise) outcome.catch(next);
        } catch (error) {
          next(error);
        }
      },
  };
}
