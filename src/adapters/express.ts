import type { Request, RequestHandler, Response } from 'express';
import type { Auth, AuthContext, SignInInput, SignInResult } from 'latchkey';
import { adapterKit, settledValue, type RequireAuthOptions, type Step } from 'latchkey/adapter';
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
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>): ExpressLatchkey<Tokens> {
  const kit = adapterKit(auth, binding);
  return {
    authenticate: () => middleware(kit.authenticate),
    requireAuth: (options) => middleware(kit.requireAuth(options)),
    signIn: (_req, res, input) => kit.signIn(res, input),
    refresh: () => middleware(kit.refresh),
    signOut: () => middleware(kit.signOut),
  };
}
