import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
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

/** Options for `app.register(latchkey, { auth })`. */
export interface LatchkeyPluginOptions {
  auth: Auth<boolean>;
}

/** Route handlers and the Auth, decorated as `app.latchkey`. */
export interface FastifyLatchkey {
  readonly auth: Auth<boolean>;
  /** Route handler: rotates the refresh cookie and answers 200 `{ accessToken, expiresIn }`. */
  refresh(): RouteHandlerMethod;
  /** Route handler: ends the request's session, clears both cookies and answers 204. */
  signOut(): RouteHandlerMethod;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, set in latchkey's onRequest hook; `null` when nobody is signed in. */
    auth: AuthContext | null;
  }
  interface FastifyReply {
    /** Signs a user in, adds both Set-Cookie lines to this reply, and returns the core's result. */
    signIn(input: SignInInput): Promise<SignInResult<boolean>>;
    /** Ends the request's session and adds the cookie-clearing lines to this reply (it does not send). */
    signOut(): Promise<{ sessionId: string | null }>;
  }
  interface FastifyInstance {
    /** A preHandler that answers 401 when nobody is signed in, and 403 when `check` returns false. */
    requireAuth(options?: RequireAuthOptions): preHandlerAsyncHookHandler;
    latchkey: FastifyLatchkey;
  }
}

function toAuthRequest(request: FastifyRequest): AuthRequest {
  return { method: request.method, headers: request.headers };
}

/** Adds Set-Cookie lines, keeping every line the app (or an earlier step) already set and skipping repeats. */
function appendCookies(reply: FastifyReply, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const current = reply.getHeader('set-cookie');
  const present = new Set(Array.isArray(current) ? current : typeof current === 'string' ? [current] : []);
  for (const line of lines) if (!present.has(line)) reply.header('set-cookie', line);
}

function send(reply: FastifyReply, answer: ErrorResponse | SuccessResponse<unknown>): FastifyReply {
  appendCookies(reply, answer.setCookies);
  reply.code(answer.status).headers(answer.headers);
  return answer.body === null ? reply.send() : reply.send(answer.body);
}

/** Answers an AuthError with its status, headers and `{ error: code }`; anything else is rethrown to Fastify. */
function fail(reply: FastifyReply, error: unknown): FastifyReply {
  if (!isAuthError(error)) throw error;
  return send(reply, errorResponse(error));
}

const kPending = Symbol('latchkey.pending');
interface Pending {
  [kPending]: Promise<Resolution> | null;
}

const plugin: FastifyPluginAsync<LatchkeyPluginOptions> = async (app, { auth }) => {
  if (typeof auth?.resolve !== 'function') throw new TypeError('latchkey: register the plugin with an Auth, e.g. app.register(latchkey, { auth: createAuth(options) }).');
  /** Resolves a request once (the hook and requireAuth both need it) and sets `request.auth`. */
  function resolve(request: FastifyRequest, reply: FastifyReply): Promise<Resolution> {
    const slot = request as unknown as Pending;
    return (slot[kPending] ??= auth.resolve(toAuthRequest(request)).then((resolution) => {
      request.auth = resolution.auth;
      appendCookies(reply, resolution.setCookies);
      return resolution;
    }));
  }

  app.decorateRequest('auth', null);
  app.decorateRequest(kPending, null); // declared up front, so every request keeps one object shape
  app.decorateReply('signIn', async function signIn(this: FastifyReply, input: SignInInput) {
    const meta = input.meta ?? { userAgent: this.request.headers['user-agent'], ip: this.request.ip };
    const result = await auth.signIn({ ...input, meta });
    appendCookies(this, result.setCookies);
    return result;
  });
  app.decorateReply('signOut', async function signOut(this: FastifyReply) {
    const { sessionId, setCookies } = await auth.signOutRequest(toAuthRequest(this.request));
    appendCookies(this, setCookies);
    return { sessionId };
  });
  app.decorate('requireAuth', function requireAuth(options: RequireAuthOptions = {}): preHandlerAsyncHookHandler {
    const checked = requireAuthOptions(options);
    return async function latchkeyRequireAuth(request, reply) {
      try {
        await requireContext(await resolve(request, reply), checked);
      } catch (error) {
        return fail(reply, error);
      }
    };
  });
  app.decorate('latchkey', {
    auth,
    refresh(): RouteHandlerMethod {
      return async function latchkeyRefresh(request, reply) {
        try {
          return send(reply, refreshResponse(await auth.refresh(toAuthRequest(request))));
        } catch (error) {
          return fail(reply, error);
        }
      };
    },
    signOut(): RouteHandlerMethod {
      return async function latchkeySignOut(request, reply) {
        try {
          return send(reply, signOutResponse(await auth.signOutRequest(toAuthRequest(request))));
        } catch (error) {
          return fail(reply, error);
        }
      };
    },
  });

  // A callback hook: one promise per request (the resolution), none for the hook itself.
  app.addHook('onRequest', function latchkeyAuthenticate(request, reply, done) {
    resolve(request, reply).then(
      () => done(),
      (error: unknown) => (isAuthError(error) ? void send(reply, errorResponse(error)) : done(error as Error)),
    );
  });
};

/**
 * The Fastify plugin: authenticates every request into `request.auth`, and decorates `reply.signIn`,
 * `reply.signOut`, `app.requireAuth()` and `app.latchkey.refresh()` / `app.latchkey.signOut()`.
 * @example
 * await app.register(latchkey, { auth });
 * app.get('/me', { preHandler: app.requireAuth() }, (request) => request.auth);
 * app.post('/auth/refresh', app.latchkey.refresh());
 */
export const latchkey = fp(plugin, { fastify: '5.x', name: 'latchkey' });
