import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext } from '../core/types.js';
import { adapterKit, type Answer, type Binding } from '../http/kit.js';
import { readJSONBody, webAnswer } from '../http/web.js';
import type { RequireAuthOptions } from '../http/answers.js';

/** Options for `latchkey(auth, options)` over Web `Request` / `Response`. */
export interface FetchLatchkeyOptions {
  /** The client address `signIn` records as `meta.ip` (a `Request` carries none: take it from your server). */
  ip?: (request: Request) => string | undefined;
}

/**
 * The verbs over Web `Request` / `Response` returned by `latchkey(auth)`. `refresh`, `signOut`, `authenticate` and
 * `requireAuth` answer a client's mistake with a Response; `signIn` returns the core's result and throws an AuthError
 * (403 cross-site, 503 store), which `handler` turns into its answer.
 */
export interface FetchLatchkey<Tokens extends boolean = boolean> {
  /**
   * Wraps a fetch handler: authenticates the request, passes its AuthContext (or `null`), puts latchkey's Set-Cookie
   * lines on the Response, and answers an AuthError thrown inside (`signIn`'s 403 or 503) with its JSON Response.
   */
  handler(fn: (request: Request, auth: AuthContext | null) => Response | Promise<Response>): (request: Request) => Promise<Response>;
  /** The request's AuthContext, `null` (nobody, or a stale credential), or the Response to return (403 CSRF, 503 store). */
  authenticate(request: Request): Promise<AuthContext | null | Response>;
  /** A guard for protected routes (options checked now): per request, the AuthContext or the 401/403 Response to return. */
  requireAuth(options?: RequireAuthOptions): (request: Request) => Promise<AuthContext | Response>;
  /** Signs a user in; `handler` (or `finish`) puts both Set-Cookie lines on the app's Response. Throws an AuthError (call it inside `handler`). */
  signIn(request: Request, input: SignInInput): Promise<SignInResult<Tokens>>;
  /** Rotates the refresh cookie: 200 `{ accessToken, expiresIn }`, or the error Response. */
  refresh(request: Request): Promise<Response>;
  /** Ends the request's session: 204 clearing both cookies, or the error Response. */
  signOut(request: Request): Promise<Response>;
  /** Adds the Set-Cookie lines latchkey holds for `request` to `response` (to a copy when its headers are immutable). */
  finish(request: Request, response: Response): Response;
}

/**
 * latchkey over Web-standard `Request` / `Response`: Next.js route handlers, Bun, Deno, workers, any fetch handler.
 * @example
 * const lk = latchkey(auth);
 * export const GET = lk.handler(async (request, auth) => Response.json({ signedIn: auth !== null }));
 * export const POST = (request: Request) => lk.refresh(request);
 * // sign-in: an AuthError thrown inside handler() (cross-site 403, store 503) becomes its JSON Response
 * const signIn = lk.handler(async (request) => Response.json(await lk.signIn(request, { userId: '1' })));
 */
export function latchkey<Tokens extends boolean>(auth: Auth<Tokens>, options: FetchLatchkeyOptions = {}): FetchLatchkey<Tokens> {
  if (options.ip !== undefined && typeof options.ip !== 'function') throw new TypeError('latchkey: the fetch adapter option ip must be a function (request) => string | undefined.');
  const pending = new WeakMap<Request, string[]>(); // Set-Cookie lines for each request's Response
  const binding: Binding<Request> = {
    request: (request) => ({ method: request.method, headers: request.headers }),
    appendCookies: (request, lines) => void (pending.get(request) ?? pending.set(request, []).get(request)!).push(...lines),
    setAuth: () => {}, // the AuthContext is returned, and handed to `handler`'s function
    ip: (request) => options.ip?.(request),
    body: (request) => readJSONBody(request),
  };
  const kit = adapterKit(auth, binding);

  function finish(request: Request, response: Response): Response {
    const lines = pending.get(request);
    if (!lines?.length) return response;
    const present = new Set(response.headers.getSetCookie());
    const fresh = lines.filter((line) => !present.has(line));
    let out = response;
    try {
      for (const line of fresh) out.headers.append('set-cookie', line);
    } catch {
      out = new Response(response.body, response); // Response.redirect() and fetch() responses have immutable headers
      for (const line of fresh) out.headers.append('set-cookie', line);
    }
    return out;
  }
  const respond = (request: Request, answer: Answer): Response => {
    const { body, status, headers } = webAnswer(answer);
    return finish(request, new Response(body, { status, headers }));
  };
  const authOf = async (request: Request): Promise<AuthContext | null> => (await kit.resolve(request)).auth;

  async function authenticate(request: Request): Promise<AuthContext | null | Response> {
    try {
      return (await kit.resolve(request)).auth; // resolved once: not a kit step, then the slot again
    } catch (error) {
      return respond(request, kit.answer(request, error)); // 403 (CSRF) or 503; anything but an AuthError rethrows
    }
  }

  return {
    handler: (fn) => async (request) => {
      const auth = await authenticate(request);
      if (auth instanceof Response) return auth;
      let response: Response;
      try {
        response = await fn(request, auth);
      } catch (error) {
        return respond(request, kit.answer(request, error)); // rethrows anything but an AuthError
      }
      return finish(request, response);
    },
    authenticate,
    requireAuth(guardOptions) {
      const step = kit.requireAuth(guardOptions);
      return async (request) => {
        const answer = await step(request);
        return answer === null ? ((await authOf(request)) as AuthContext) : respond(request, answer);
      };
    },
    signIn: (request, input) => kit.signIn(request, input),
    refresh: async (request) => respond(request, await kit.refresh(request)),
    signOut: async (request) => respond(request, await kit.signOut(request)),
    finish,
  };
}
