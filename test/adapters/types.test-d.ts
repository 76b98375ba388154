// The typed request context of the adapters (Express, Fastify, Koa, Hono, fetch), without a Register augmentation (see
// register.test.ts for a user's `declare module 'latchkey'` flowing into every adapter).
import express from 'express';
import Fastify, { type preHandlerAsyncHookHandler, type preHandlerHookHandler, type RouteHandlerMethod } from 'fastify';
import Koa from 'koa';
import { Hono, type MiddlewareHandler } from 'hono';
import { expectTypeOf, test } from 'vitest';
import type { Auth, AuthContext, RefreshResult, SignInResult } from '../../src/entries/index.js';
import { latchkey as expressLatchkey } from '../../src/entries/express.js';
import { latchkey as fastifyLatchkey } from '../../src/entries/fastify.js';
import { latchkey as koaLatchkey } from '../../src/entries/koa.js';
import { latchkey as honoLatchkey, type LatchkeyEnv } from '../../src/entries/hono.js';
import { latchkey as fetchLatchkey } from '../../src/entries/fetch.js';

declare const tokenAuth: Auth<true>;
declare const cookieAuth: Auth<false>;

test('Express: req.auth is the AuthContext, signIn is typed by whether the Auth issues tokens', () => {
  const app = express();
  const lk = expressLatchkey(tokenAuth);
  app.use(lk.authenticate());
  app.get('/me', lk.requireAuth({ check: (auth) => auth.userId === '1' }), (req, res) => {
    // undefined on routes the middleware does not reach, null when nobody is signed in: the type says both
    expectTypeOf(req.auth).toEqualTypeOf<AuthContext | null | undefined>();
    // @ts-expect-error a `!== null` guard does not prove someone is signed in (req.auth may be undefined)
    if (req.auth !== null) expectTypeOf(req.auth.userId).toBeString();
    if (req.auth) expectTypeOf(req.auth.userId).toBeString();
    if (req.auth?.via === 'bearer') expectTypeOf(req.auth.claims.sid).toBeString();
    res.json(req.auth);
  });
  app.post('/login', async (req, res) => {
    const result = await lk.signIn(req, res, { userId: '1' });
    expectTypeOf(result).toEqualTypeOf<SignInResult<true>>();
    expectTypeOf(result.accessToken).toBeString();
    const cookieOnly = await expressLatchkey(cookieAuth).signIn(req, res, { userId: '1' });
    expectTypeOf(cookieOnly.accessToken).toBeUndefined();
    // @ts-expect-error userId is required
    await lk.signIn(req, res, {});
  });
  app.post('/auth/refresh', lk.refresh());
  app.post('/auth/logout', lk.signOut());
  // @ts-expect-error check receives the AuthContext and must return a boolean
  lk.requireAuth({ check: (auth: AuthContext) => auth.userId });
});

test('Fastify: request.auth, reply.signIn / signOut, app.requireAuth and app.latchkey are typed', async () => {
  const app = Fastify();
  await app.register(fastifyLatchkey, { auth: tokenAuth });
  expectTypeOf(app.requireAuth()).toEqualTypeOf<preHandlerAsyncHookHandler & preHandlerHookHandler>();
  expectTypeOf(app.latchkey.refresh()).toEqualTypeOf<RouteHandlerMethod>();
  app.get('/me', { preHandler: app.requireAuth() }, async (request) => {
    expectTypeOf(request.auth).toEqualTypeOf<AuthContext | null>();
    return request.auth;
  });
  app.get<{ Params: { id: string } }>('/items/:id', { preHandler: app.requireAuth({ check: (auth) => auth.via === 'cookie' }) }, async (request) => {
    expectTypeOf(request.params.id).toBeString();
    return request.auth?.userId;
  });
  app.post('/login', async (_request, reply) => {
    const result = await reply.signIn({ userId: '1', data: { role: 'admin' } });
    expectTypeOf(result.setCookies).toEqualTypeOf<string[]>();
    expectTypeOf(result.accessToken).toEqualTypeOf<string | undefined>();
    expectTypeOf(await reply.signOut()).toEqualTypeOf<{ sessionId: string | null }>();
    return { accessToken: result.accessToken };
  });
  app.post('/auth/refresh', app.latchkey.refresh());
  app.post('/auth/logout', app.latchkey.signOut());
  expectTypeOf(app.latchkey.auth.refresh).returns.resolves.toEqualTypeOf<RefreshResult>();
  // @ts-expect-error the plugin needs { auth }
  await app.register(fastifyLatchkey, {});
});

test('Koa: ctx.state.auth is the AuthContext', () => {
  const app = new Koa();
  const lk = koaLatchkey(tokenAuth);
  app.use(lk.authenticate());
  app.use(lk.requireAuth({ check: (auth) => auth.via === 'bearer' }));
  app.use(async (ctx) => {
    expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext | null | undefined>();
    const result = await lk.signIn(ctx, { userId: '1' });
    expectTypeOf(result.refreshToken).toBeString();
    ctx.body = ctx.state.auth;
  });
  app.use(lk.refresh());
  app.use(lk.signOut());
});

test('Hono: c.get(\'auth\') is the AuthContext in every handler, and the verbs are Hono middleware', () => {
  const app = new Hono();
  const lk = honoLatchkey(tokenAuth);
  expectTypeOf(lk.authenticate()).toEqualTypeOf<MiddlewareHandler<LatchkeyEnv>>();
  app.use('*', lk.authenticate());
  app.get('/me', lk.requireAuth({ check: (auth) => auth.via === 'cookie' }), (c) => {
    expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | null>();
    return c.json({ userId: c.get('auth')?.userId ?? null });
  });
  app.post('/login', async (c) => {
    const result = await lk.signIn(c, { userId: '1' });
    expectTypeOf(result).toEqualTypeOf<SignInResult<true>>();
    // @ts-expect-error userId is required
    await lk.signIn(c, {});
    return c.json({ accessToken: result.accessToken });
  });
  app.post('/auth/refresh', lk.refresh());
  app.post('/auth/logout', lk.signOut());
  new Hono<LatchkeyEnv>().get('/x', (c) => c.json(c.var.auth));
});

test('fetch: requireAuth gives the AuthContext or the Response to return; refresh and signOut are Responses', async () => {
  const lk = fetchLatchkey(tokenAuth);
  const request = new Request('http://app.test/me');
  expectTypeOf(await lk.requireAuth()(request)).toEqualTypeOf<AuthContext | Response>();
  expectTypeOf(await lk.authenticate(request)).toEqualTypeOf<AuthContext | Response | null>();
  expectTypeOf(await lk.refresh(request)).toEqualTypeOf<Response>();
  expectTypeOf((await lk.signIn(request, { userId: '1' })).accessToken).toBeString();
  expectTypeOf(fetchLatchkey(cookieAuth).signIn).returns.resolves.toEqualTypeOf<SignInResult<false>>();
  lk.handler(async (_request, auth) => {
    expectTypeOf(auth).toEqualTypeOf<AuthContext | null>();
    return new Response(null);
  });
  // @ts-expect-error a handler must return a Response
  lk.handler(async () => 'text');
});

test("the quick starts' admin check type-checks under strict (no Register); the old `(a.data ?? a.claims).role` did not (TS2532)", () => {
  const lk = expressLatchkey(tokenAuth);
  const app = express();
  // the snippet of README.md and docs/quickstart-*.md, as written there
  app.get('/admin', lk.requireAuth({ check: (a) => (a.via === 'cookie' ? a.data : a.claims).role === 'admin' }), (_req, res) => res.json({ ok: true }));
  // @ts-expect-error the snippet the quick starts used to show: `a.data ?? a.claims` may be undefined
  lk.requireAuth({ check: (a) => (a.data ?? a.claims).role === 'admin' });
  // the error handlers of the third milestone
  app.post('/login', lk.route(async (req, res) => res.json(await lk.signIn(req, res, { userId: '1' }))));
  app.use(lk.errorHandler());
  const hono = new Hono();
  hono.onError(honoLatchkey(tokenAuth).onError);
  const fetchLk = fetchLatchkey(tokenAuth);
  expectTypeOf(fetchLk.handler(async (request) => Response.json(await fetchLk.signIn(request, { userId: '1' })))).toEqualTypeOf<(request: Request) => Promise<Response>>();
});
