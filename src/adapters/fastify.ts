import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler, preHandlerHookHandler, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import type { Auth, SignInInput, SignInResult } from '../core/auth-api.js';
import type { AuthContext, RegisteredTokens } from '../core/types.js';
import { adapterKit, assertAuth, type Answer, type Binding } from '../http/kit.js';
import { settledValue } from '../lib/settled.js';
import type { RequireAuthOptions } from '../http/answers.js';
import { fastifyPlatform } from './platforms.js';

/** Options for `app.register(latchkey, { auth })`: with `Register['tokens']` declared, an Auth that matches it. */
export interface LatchkeyPluginOptions {
  auth: Auth<RegisteredTokens>;
}

/** Route handlers and the Auth, decorated as `app.latchkey`. */
export interface FastifyLatchkey {
  readonly auth: Auth<RegisteredTokens>;
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
    /** Signs a user in, adds both Set-Cookie lines to this reply, and returns the core's result (typed by `Register['tokens']`). */
    signIn(input: SignInInput): Promise<SignInResult<RegisteredTokens>>;
    /** Ends the request's session and adds the cookie-clearing lines to this reply (it does not send). */
    signOut(): Promise<{ sessionId: string | null }>;
  }
  interface FastifyInstance {
    /**
     * A preHandler that answers 401 when nobody is signed in, and 403 when `check` returns false. Fastify calls it
     * with `done`, and a request already resolved goes on through `done()` without a promise turn; called with
     * `(request, reply)` alone it returns a promise, as an async hook does.
     */
    requireAuth(options?: RequireAuthOptions): preHandlerAsyncHookHandler & preHandlerHookHandler;
    latchkey: FastifyLatchkey;
  }
}

const { binding, send } = fastifyPlatform;

const plugin: FastifyPluginAsync<LatchkeyPluginOptions> = async (app, { auth }) => {
  assertAuth(auth, 'register the plugin with an Auth, e.g. app.register(latchkey, { auth: createAuth(options) }).');
  const kit = adapterKit(auth, binding);
  app.decorateRequest('auth', null);
  app.decorateRequest(kit.slotKey, null); // declared up front, so every request keeps one object shape
  app.decorateReply('signIn', function signIn(this: FastifyReply, input: SignInInput) { return kit.signIn(this, input); });
  app.decorateReply('signOut', function signOut(this: FastifyReply) { return kit.endSession(this); });
  app.decorate('requireAuth', function requireAuth(options: RequireAuthOptions = {}): preHandlerAsyncHookHandler & preHandlerHookHandler {
    const step = kit.requireAuth(options);
    return function latchkeyRequireAuth(_request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction): Promise<unknown> | undefined {
      const outcome = step(reply);
      if (settledValue(outcome) === null) return done ? void done() : outcome;
      return outcome.then((answer) => (answer === null ? undefined : send(reply, answer)));
    } as preHandlerAsyncHookHandler & preHandlerHookHandler;
  });
  app.decorate('latchkey', {
    auth,
    refresh: (): RouteHandlerMethod => async (_request, reply) => send(reply, await kit.refresh(reply)),
    signOut: (): RouteHandlerMethod => async (_request, reply) => send(reply, await kit.signOut(reply)),
  });
  // Every route of the plugin's scope answers an AuthError its handler throws (`reply.signIn`'s 403 or 503) with its
  // JSON answer, before any error handler; other errors are rethrown, which hands them to the scope's error handler.
  app.addHook('onRoute', (route) => {
    const own = route.errorHandler;
    route.errorHandler = function latchkeyErrorHandler(this: unknown, error, request, reply) {
      try {
        return send(reply, kit.answer(reply, error));
      } catch {
        if (own) return own.call(this as never, error, request, reply);
        throw error;
      }
    };
  });
  // Registering the plugin mounts authenticate() for its scope. A callback hook: it goes on at once when the step settled at once.
  app.addHook('onRequest', function latchkeyAuthenticate(_request, reply, done) {
    const outcome = kit.authenticate(reply);
    if (settledValue(outcome) === null) return done();
    outcome.then((answer) => (answer === null ? done() : void send(reply, answer)), (error: unknown) => done(error as Error));
  });
};

/**
 * The Fastify plugin: authenticates every request of its scope into `request.auth`, and decorates `reply.signIn`,
 * `reply.signOut`, `app.requireAuth()` and `app.latchkey.refresh()` / `app.latchkey.signOut()`.
 * @example
 * await app.register(latchkey, { auth });
 * app.get('/me', { preHandler: app.requireAuth() }, (request) => request.auth);
 * app.post('/auth/refresh', app.latchkey.refresh());
 */
export const latchkey = fp(plugin, { fastify: '5.x', name: 'latchkey' });
