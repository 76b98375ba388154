// One rule for when a request is authenticated, the same on every framework: where the app mounts
// latchkey's middleware (Express/Koa: authenticate() or requireAuth(); Fastify: registering the plugin
// mounts it for the plugin's scope), and at most once per request however many latchkey middlewares
// of one instance it passes. Routes outside that reach do no authentication and no store I/O.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuth, type Auth } from '../../src/entries/index.js';
import { latchkey as expressLatchkey } from '../../src/entries/express.js';
import { latchkey as fastifyLatchkey } from '../../src/entries/fastify.js';
import { latchkey as koaLatchkey } from '../../src/entries/koa.js';
import { latchkey as honoLatchkey } from '../../src/entries/hono.js';
import { latchkey as fetchLatchkey } from '../../src/entries/fetch.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: Server): Promise<string> {
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An Auth whose resolve() calls are counted, and a signed-in session cookie for it. */
async function countedAuth(): Promise<{ auth: Auth<boolean>; resolves: () => number; cookie: string }> {
  const auth = createAuth();
  const spy = vi.spyOn(auth, 'resolve');
  const { setCookies } = await auth.signIn({ userId: 'u1', data: { role: 'admin' } });
  return { auth, resolves: () => spy.mock.calls.length, cookie: setCookies.map((line) => line.split(';')[0]).join('; ') };
}

const isAdmin = (auth: { via: string; data: unknown }): boolean => auth.via === 'cookie' && (auth.data as { role?: string }).role === 'admin';

describe('a request is authenticated where latchkey is mounted, and at most once', () => {
  it('Express: authenticate() and two requireAuth() on one route resolve the request once; a route mounted before authenticate() never does', async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const lk = expressLatchkey(auth);
    const app = express();
    app.get('/outside', (req, res) => res.json({ auth: req.auth ?? 'unset' }));
    app.use(lk.authenticate());
    app.get('/me', lk.requireAuth(), lk.requireAuth({ check: isAdmin }), (req, res) => res.json({ userId: req.auth?.userId }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    expect(await (await fetch(`${base}/me`, { headers: { cookie } })).json()).toEqual({ userId: 'u1' });
    expect(resolves()).toBe(1);
    expect(await (await fetch(`${base}/outside`, { headers: { cookie } })).json()).toEqual({ auth: 'unset' });
    expect(resolves()).toBe(1);
  });

  it("Express: res.locals stays the app's (no enumerable key added), and an app that replaces res.locals still gets req.auth", async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const lk = expressLatchkey(auth);
    const app = express();
    app.use(lk.authenticate());
    app.get('/keys', lk.requireAuth(), (req, res) => res.json({ keys: Object.keys(res.locals), userId: req.auth?.userId }));
    app.get('/replaced', (req, res, next) => ((res.locals = { title: 'x' }), next()), lk.requireAuth({ check: isAdmin }), (req, res) => res.json({ userId: req.auth?.userId, title: res.locals.title }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    expect(await (await fetch(`${base}/keys`, { headers: { cookie } })).json()).toEqual({ keys: [], userId: 'u1' });
    expect(resolves()).toBe(1);
    const replaced = await fetch(`${base}/replaced`, { headers: { cookie } });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toEqual({ userId: 'u1', title: 'x' });
  });

  it('Express: req.auth is undefined where no latchkey middleware ran and null where it ran for nobody, as its type says', async () => {
    const { auth } = await countedAuth();
    const lk = expressLatchkey(auth);
    const app = express();
    const kind = (value: unknown): string => (value === undefined ? 'undefined' : value === null ? 'null' : 'context');
    app.get('/outside', (req, res) => res.json({ auth: kind(req.auth) }));
    app.use(lk.authenticate());
    app.get('/inside', (req, res) => res.json({ auth: kind(req.auth) }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    expect(await (await fetch(`${base}/outside`)).json()).toEqual({ auth: 'undefined' });
    expect(await (await fetch(`${base}/inside`)).json()).toEqual({ auth: 'null' });
  });

  it('Koa: authenticate() and two requireAuth() resolve the request once; middleware before authenticate() sees no auth', async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const lk = koaLatchkey(auth);
    const app = new Koa();
    app.use(async (ctx, next) => (ctx.path === '/outside' ? void (ctx.body = { auth: ctx.state.auth ?? 'unset' }) : next()));
    app.use(lk.authenticate());
    app.use(lk.requireAuth());
    app.use(lk.requireAuth({ check: isAdmin }));
    app.use((ctx) => void (ctx.body = { userId: ctx.state.auth?.userId }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    expect(await (await fetch(`${base}/me`, { headers: { cookie } })).json()).toEqual({ userId: 'u1' });
    expect(resolves()).toBe(1);
    expect(await (await fetch(`${base}/outside`, { headers: { cookie } })).json()).toEqual({ auth: 'unset' });
    expect(resolves()).toBe(1);
  });

  it("Fastify: the plugin's hook and two requireAuth() preHandlers resolve the request once; a route outside the plugin's scope never does", async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const app = Fastify();
    closers.push(() => app.close());
    app.get('/outside', async (request) => ({ auth: request.auth ?? 'unset' }));
    await app.register(async (scope) => {
      await scope.register(fastifyLatchkey, { auth });
      scope.get('/me', { preHandler: [scope.requireAuth(), scope.requireAuth({ check: isAdmin })] }, async (request) => ({ userId: request.auth?.userId }));
      scope.get('/public', async (request) => ({ signedIn: request.auth !== null }));
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    expect(await (await fetch(`${base}/me`, { headers: { cookie } })).json()).toEqual({ userId: 'u1' });
    expect(resolves()).toBe(1);
    expect(await (await fetch(`${base}/public`, { headers: { cookie } })).json()).toEqual({ signedIn: true });
    expect(resolves()).toBe(2);
    expect(await (await fetch(`${base}/outside`, { headers: { cookie } })).json()).toEqual({ auth: 'unset' });
    expect(resolves()).toBe(2);
  });

  it("Hono: app.use('*', authenticate()) and two requireAuth() resolve the request once; a route registered before authenticate() never does", async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const lk = honoLatchkey(auth);
    const app = new Hono();
    app.get('/outside', (c) => c.json({ auth: c.get('auth') ?? 'unset' }));
    app.use('*', lk.authenticate());
    app.get('/me', lk.requireAuth(), lk.requireAuth({ check: isAdmin }), (c) => c.json({ userId: c.get('auth')?.userId }));
    expect(await (await app.request('/me', { headers: { cookie } })).json()).toEqual({ userId: 'u1' });
    expect(resolves()).toBe(1);
    expect(await (await app.request('/outside', { headers: { cookie } })).json()).toEqual({ auth: 'unset' });
    expect(resolves()).toBe(1);
  });

  it('fetch: handler() and two requireAuth() guards on one request resolve it once; another request resolves for itself', async () => {
    const { auth, resolves, cookie } = await countedAuth();
    const lk = fetchLatchkey(auth);
    const guards = [lk.requireAuth(), lk.requireAuth({ check: isAdmin })];
    const handler = lk.handler(async (request, who) => {
      for (const guard of guards) {
        const result = await guard(request);
        if (result instanceof Response) return result;
      }
      return Response.json({ userId: who?.userId });
    });
    expect(await (await handler(new Request('http://app.test/me', { headers: { cookie } }))).json()).toEqual({ userId: 'u1' });
    expect(resolves()).toBe(1);
    expect((await handler(new Request('http://app.test/me', { headers: { cookie } }))).status).toBe(200);
    expect(resolves()).toBe(2);
  });
});
