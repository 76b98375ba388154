// The adapter kit: everything a framework adapter does that is not about its framework. An adapter
// describes how its framework reads a request and writes cookies (a `Binding`); the kit gives back
// the verbs as steps that end in an `Answer` (or `null`: go on), so that the adapter only maps them
// onto its middleware signature and writes the answer. One rule for every framework: a request is
// authenticated where the app mounts latchkey's middleware, and at most once however many of one
// instance's middlewares it passes (the resolve-once slot below).
import type { Auth, Resolution, SignInInput, SignInResult } from '../core/auth-api.js';
import { isAuthError } from '../core/errors.js';
import type { AuthContext, AuthRequest } from '../core/types.js';
import { header } from '../core/request.js';
import { settled, settledValue } from '../lib/settled.js';
import { errorResponse, refreshResponse, requireAuthOptions, requireContext, signOutResponse, type ErrorResponse, type RequireAuthOptions, type SuccessResponse } from './answers.js';

/** What an adapter writes: status, headers and a JSON body (`null`: none). The kit has already added its Set-Cookie lines. */
export type Answer = ErrorResponse | SuccessResponse<unknown>;

/** A step of a middleware: the answer to send, or `null` to go on to the app. Rejects only with errors that are not an AuthError. */
export type Step<C> = (carrier: C) => Promise<Answer | null>;

/**
 * How one framework reads a request and writes cookies: all an adapter tells the kit. `C` is the
 * framework's per-request object (Express `res`, Koa `ctx`, Fastify `reply`, Hono `c`, a `Request`).
 */
export interface Binding<C> {
  /** The request's method and headers (Node's header record or a `Headers` object). */
  request(carrier: C): AuthRequest;
  /** Appends Set-Cookie lines to the response being built (the kit has removed repeats). */
  appendCookies(carrier: C, lines: readonly string[]): void;
  /** The Set-Cookie lines already on the response. Without it the kit remembers the lines it appended itself. */
  currentCookies?(carrier: C): unknown;
  /** Makes the request's AuthContext (or `null`) visible to the app: `req.auth`, `ctx.state.auth`, `c.get('auth')`. */
  setAuth(carrier: C, auth: AuthContext | null): void;
  /** The client address `signIn` records as `meta.ip` when the app passes no `meta`. */
  ip(carrier: C): string | undefined;
  /** The object the request's resolve-once slot lives on (default: the carrier itself). */
  slot?(carrier: C): object;
  /**
   * The request's parsed JSON body, read by refresh and sign-out only when no latchkey cookie and no `Authorization`
   * came (a native app's `{ "refreshToken": "…" }`): the framework's parsed body (`req.body`), or `readJSONBody`.
   */
  body?(carrier: C): unknown;
}

/** The verbs of one adapter instance, over its framework's per-request object. */
export interface AdapterKit<C, Tokens extends boolean> {
  /** The property key of the resolve-once slot, for frameworks that declare request properties up front (Fastify). */
  readonly slotKey: symbol;
  /** Resolves the request once per instance, sets its AuthContext and appends the resolution's cookies. */
  resolve(carrier: C): Promise<Resolution>;
  /** The `authenticate()` step: never refuses a stale credential; answers only 403 (CSRF) and 503. */
  authenticate: Step<C>;
  /** The `requireAuth(options)` step: options are checked now, not per request. */
  requireAuth(options?: RequireAuthOptions): Step<C>;
  /** Signs a user in (CSRF-checked against the request; device meta from it unless given), appends both cookies, returns the core's result. */
  signIn(carrier: C, input: SignInInput): Promise<SignInResult<Tokens>>;
  /** The `refresh()` route: 200 `{ accessToken, expiresIn }` with the rotated cookie, or the error answer. */
  refresh(carrier: C): Promise<Answer>;
  /** The `signOut()` route: 204 with the clearing cookies, or the error answer. */
  signOut(carrier: C): Promise<Answer>;
  /** Ends the request's session and appends the clearing cookies, without answering (Fastify's `reply.signOut()`). */
  endSession(carrier: C): Promise<{ sessionId: string | null }>;
  /** Appends Set-Cookie lines, keeping what the response already has and skipping repeats. */
  appendCookies(carrier: C, lines: readonly string[]): void;
  /** The answer for an error a route threw (`signIn`'s 403 or 503) with its cookies appended; any other error is rethrown. */
  answer(carrier: C, error: unknown): Answer;
}

/** The lines of `lines` not in `current` (a Set-Cookie header value: a string, a list, or nothing). */
export function freshCookies(current: unknown, lines: readonly string[]): readonly string[] {
  if (current === undefined || current === null) return lines;
  const present = new Set(Array.isArray(current) ? current : typeof current === 'string' ? [current] : []);
  return lines.filter((line) => !present.has(line));
}

/**
 * Refuses, when an adapter is set up, anything that is not an Auth (what `createAuth` returns): a TypeError that
 * says `message` (what to pass).
 * @example
 * assertAuth(options.auth, 'register the plugin with an Auth, e.g. app.register(latchkey, { auth: createAuth(options) }).');
 */
export function assertAuth(auth: unknown, message: string): asserts auth is Auth<boolean> {
  if (typeof (auth as Partial<Auth<boolean>> | undefined)?.resolve !== 'function') throw new TypeError(`latchkey: ${message}`);
}

/** The answer for an AuthError; any other error is rethrown to the framework's error path. */
export function answerError(error: unknown): ErrorResponse {
  if (isAuthError(error)) return errorResponse(error);
  throw error;
}

type Slots = Record<symbol, unknown>;
const goOn = (): null => null;
/** The outcome of a step that lets the request go on at once: one shared promise, readable by `settledValue`. */
const GO_ON: Promise<Answer | null> = settled(null);

/**
 * Builds the verbs of one adapter instance over a framework binding; each instance has its own slot,
 * so two Auth instances on one route never share a request's resolution.
 * @example
 * const kit = adapterKit(auth, { request: (ctx) => ({ method: ctx.method, headers: ctx.headers }), ... });
 * const authenticate = () => async (ctx, next) => { const answer = await kit.authenticate(ctx); answer ? write(ctx, answer) : await next(); };
 */
export function adapterKit<C, Tokens extends boolean>(auth: Auth<Tokens>, binding: Binding<C>): AdapterKit<C, Tokens> {
  const slotKey = Symbol('latchkey.pending');
  const sentKey = Symbol('latchkey.cookies');
  const slotOf = (carrier: C): Slots => (binding.slot ? binding.slot(carrier) : carrier) as Slots;

  function appendCookies(carrier: C, lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (binding.currentCookies) {
      const fresh = freshCookies(binding.currentCookies(carrier), lines);
      if (fresh.length > 0) binding.appendCookies(carrier, fresh);
      return;
    }
    const slot = slotOf(carrier);
    const sent = (slot[sentKey] ??= new Set<string>()) as Set<string>;
    const fresh = lines.filter((line) => !sent.has(line));
    for (const line of fresh) sent.add(line);
    if (fresh.length > 0) binding.appendCookies(carrier, fresh);
  }

  // The slot holds the pending resolution, then the resolution itself once settled, so a second middleware
  // of the request (requireAuth after the global hook) decides without waiting on a promise again.
  function resolve(carrier: C): Promise<Resolution> {
    const slot = slotOf(carrier);
    const held = slot[slotKey] as Promise<Resolution> | Resolution | null | undefined;
    if (held) return held instanceof Promise ? held : settled(held);
    const pending = auth.resolve(binding.request(carrier));
    const now = settledValue(pending);
    if (now !== undefined) {
      // the core answered without waiting (a cookie on the memory store): no microtask before the app runs
      settle(carrier, slot, now);
      return pending;
    }
    slot[slotKey] = pending.then((resolution) => settle(carrier, slot, resolution));
    return slot[slotKey] as Promise<Resolution>;
  }

  /** Makes a resolution the request's: its AuthContext set, its cookies appended, the slot settled. */
  function settle(carrier: C, slot: Slots, resolution: Resolution): Resolution {
    binding.setAuth(carrier, resolution.auth);
    appendCookies(carrier, resolution.setCookies);
    slot[slotKey] = resolution;
    return resolution;
  }

  /** The answer for a failed step (an AuthError), with its cookies appended; other errors reject. */
  function failed(carrier: C, error: unknown): Answer {
    const result = answerError(error);
    appendCookies(carrier, result.setCookies);
    return result;
  }

  /** The request with its body reader, for the routes that accept a refresh token without a cookie. */
  function withBody(carrier: C): AuthRequest {
    const request = binding.request(carrier);
    return binding.body ? { ...request, body: () => binding.body!(carrier) } : request;
  }

  /** A successful answer, with its cookies appended. */
  function succeeded(carrier: C, result: Answer): Answer {
    appendCookies(carrier, result.setCookies);
    return result;
  }

  return {
    slotKey,
    resolve,
    // Promise chains rather than async functions: the authenticate step runs on every request.
    authenticate(carrier) {
      const resolution = resolve(carrier);
      return settledValue(resolution) ? GO_ON : resolution.then(goOn, (error: unknown) => failed(carrier, error));
    },
    requireAuth(options = {}) {
      const checked = requireAuthOptions(options);
      // Without options a signed-in request is admitted at once; any option (or none signed in) goes through requireContext.
      const plain = Object.values(checked).every((value) => value === undefined);
      const admit = (carrier: C, resolution: Resolution): Answer | null | Promise<Answer | null> =>
        plain && resolution.auth ? null : requireContext(resolution, checked).then(goOn, (error: unknown) => failed(carrier, error));
      return (carrier) => {
        let held = slotOf(carrier)[slotKey] as Promise<Resolution> | Resolution | null | undefined;
        if (!held) {
          // no authenticate() ran before (requireAuth alone on a route): a resolution known at once is admitted in this turn too
          const pending = resolve(carrier);
          held = settledValue(pending) ?? pending;
        }
        if (!(held instanceof Promise)) {
          const answer = admit(carrier, held);
          return answer === null ? GO_ON : Promise.resolve(answer);
        }
        return held.then((resolution) => admit(carrier, resolution), (error: unknown) => failed(carrier, error));
      };
    },
    async signIn(carrier, input) {
      const request = binding.request(carrier);
      const meta = input.meta ?? { userAgent: header(request, 'user-agent'), ip: binding.ip(carrier) };
      // the request goes to the core, which applies the CSRF check to sign-in too (login CSRF)
      const result = await auth.signIn({ ...input, meta, request: input.request ?? request });
      appendCookies(carrier, result.setCookies);
      return result;
    },
    refresh: (carrier) => auth.refresh(withBody(carrier)).then((result) => succeeded(carrier, refreshResponse(result)), (error: unknown) => failed(carrier, error)),
    signOut: (carrier) => auth.signOutRequest(withBody(carrier)).then((result) => succeeded(carrier, signOutResponse(result)), (error: unknown) => failed(carrier, error)),
    async endSession(carrier) {
      const { sessionId, setCookies } = await auth.signOutRequest(withBody(carrier));
      appendCookies(carrier, setCookies);
      return { sessionId };
    },
    appendCookies,
    answer: failed,
  };
}
