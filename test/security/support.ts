// Shared harness for the attack suite: one app, built the same way on Express, Fastify, Koa, Hono (on
// @hono/node-server), a bare fetch handler (latchkey/fetch, served by @hono/node-server) and NestJS on its
// Express and Fastify platforms (nest-app.ts),
// served on a free loopback port, and a small raw HTTP client (node:http, so tests control every
// header byte, repeated headers included). Not a test file itself.
import { request as httpRequest, Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createAuth, generateKey, memoryStore, type Auth, type AuthEvent, type AuthOptions, type SessionStore, type SigningKey } from '../../src/entries/index.js';
import { latchkey as expressLatchkey } from '../../src/entries/express.js';
import { latchkey as fastifyLatchkey } from '../../src/entries/fastify.js';
import { latchkey as koaLatchkey } from '../../src/entries/koa.js';
import { latchkey as fetchLatchkey } from '../../src/entries/fetch.js';
import { latchkey as honoLatchkey } from '../../src/entries/hono.js';
import { startNestApp } from './nest-app.js';

export const ISSUER = 'https://api.example.com';
export const AUDIENCE = 'web';
export const TRUSTED_ORIGIN = 'https://app.example.com';
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type Framework = 'express' | 'fastify' | 'koa' | 'hono' | 'fetch' | 'nest-express' | 'nest-fastify';
export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'koa', 'hono', 'fetch', 'nest-express', 'nest-fastify'];

/** A manual clock (test/support/core.ts): tests move time with `advance`, never by sleeping. */
import { testClock as clock, T0, type TestClock } from '../support/core.js';

export { clock, T0 };
export type Clock = Pick<TestClock, 'now' | 'advance'>;

/** An auth with tokens, a clock, a recorded event list and (by default) a memory store on that clock. */
export interface Setup {
  auth: Auth<true>;
  clock: Clock;
  events: AuthEvent[];
  key: SigningKey;
  store: SessionStore;
}

export async function setup(overrides: Partial<AuthOptions> & { key?: SigningKey } = {}): Promise<Setup> {
  const c = clock();
  const events: AuthEvent[] = [];
  const key = overrides.key ?? (await generateKey('EdDSA'));
  const store = overrides.store ?? memoryStore({ now: c.now });
  const { key: _key, ...rest } = overrides;
  const auth = createAuth({
    keys: [key],
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    csrf: { trustedOrigins: [TRUSTED_ORIGIN] },
    onEvent: (event) => void events.push(event),
    now: c.now,
    ...rest,
  } as AuthOptions & { keys: SigningKey[] });
  await auth.ready();
  return { auth, clock: c, events, key, store };
}

/**
 * The same small app on every framework:
 *   GET  /public          200 for anyone
 *   GET  /me              requireAuth: 200 { userId, sessionId, via }
 *   POST /write           requireAuth on an unsafe method (CSRF applies): 200 { userId }
 *   POST /login?user=ID   signIn (userId from the query): 200 { accessToken, sessionId }
 *   POST /auth/refresh    refresh(): 200 { accessToken, expiresIn }
 *   POST /auth/logout     signOut(): 204
 */
export interface App {
  framework: Framework;
  url: string;
  port: number;
  close(): Promise<void>;
}

function loginUser(query: unknown): string {
  const user = (query as { user?: unknown } | undefined)?.user;
  return typeof user === 'string' && user !== '' ? user : '50';
}

function me(auth: { userId: string; sessionId: string; via: string } | null | undefined): Record<string, unknown> {
  return { userId: auth?.userId, sessionId: auth?.sessionId, via: auth?.via };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Serves a fetch handler with @hono/node-server on a free loopback port; thrown errors answer their `status` (or 500), as the other frameworks' default error handlers do. */
async function serveFetch(framework: Framework, handler: (request: Request) => Promise<Response>): Promise<App> {
  const fetch = (request: Request): Promise<Response> =>
    handler(request).catch((error: { status?: number }) => new Response('error', { status: error.status ?? 500 }));
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started as Server));
  });
  const port = (server.address() as AddressInfo).port;
  return { framework, port, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

function startHono(auth: Auth<true>): Promise<App> {
  const app = new Hono();
  const lk = honoLatchkey(auth);
  app.use('*', lk.authenticate());
  app.get('/public', (c) => c.json({ ok: true }));
  app.get('/me', lk.requireAuth(), (c) => c.json(me(c.get('auth'))));
  app.post('/write', lk.requireAuth(), (c) => c.json({ userId: c.get('auth')?.userId }));
  app.post('/login', async (c) => {
    const result = await lk.signIn(c, { userId: loginUser(c.req.query()) });
    return c.json({ accessToken: result.accessToken, sessionId: result.session.id });
  });
  app.post('/auth/refresh', lk.refresh());
  app.post('/auth/logout', lk.signOut());
  app.onError((error, c) => c.text('error', ((error as { status?: number }).status ?? 500) as ContentfulStatusCode));
  return serveFetch('hono', async (request) => app.fetch(request));
}

function startFetch(auth: Auth<true>): Promise<App> {
  const lk = fetchLatchkey(auth);
  const requireAuth = lk.requireAuth();
  return serveFetch('fetch', lk.handler(async (request, auth) => {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case 'GET /public':
        return Response.json({ ok: true });
      case 'GET /me':
      case 'POST /write': {
        const who = await requireAuth(request);
        if (who instanceof Response) return who;
        return Response.json(url.pathname === '/me' ? me(who) : { userId: who.userId });
      }
      case 'POST /login': {
        const result = await lk.signIn(request, { userId: loginUser(Object.fromEntries(url.searchParams)) });
        return Response.json({ accessToken: result.accessToken, sessionId: result.session.id });
      }
      case 'POST /auth/refresh':
        return lk.refresh(request);
      case 'POST /auth/logout':
        return lk.signOut(request);
      default:
        return new Response('not found', { status: 404 });
    }
  }));
}

export async function startApp(framework: Framework, auth: Auth<true>): Promise<App> {
  if (framework === 'hono') return startHono(auth);
  if (framework === 'fetch') return startFetch(auth);
  if (framework === 'nest-express' || framework === 'nest-fastify') return startNestApp(framework, auth);
  if (framework === 'express') {
    const app = express();
    const lk = expressLatchkey(auth);
    app.use(lk.authenticate());
    app.get('/public', (_req, res) => void res.json({ ok: true }));
    app.get('/me', lk.requireAuth(), (req, res) => void res.json(me(req.auth)));
    app.post('/write', lk.requireAuth(), (req, res) => void res.json({ userId: req.auth?.userId }));
    app.post('/login', async (req, res, next) => {
      try {
        const result = await lk.signIn(req, res, { userId: loginUser(req.query) });
        res.json({ accessToken: result.accessToken, sessionId: result.session.id });
      } catch (error) {
        next(error);
      }
    });
    app.post('/auth/refresh', lk.refresh());
    app.post('/auth/logout', lk.signOut());
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    const port = (server.address() as AddressInfo).port;
    return { framework, port, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
  }
  if (framework === 'fastify') {
    const app = Fastify({ logger: false });
    await app.register(fastifyLatchkey, { auth });
    app.get('/public', async () => ({ ok: true }));
    app.get('/me', { preHandler: app.requireAuth() }, async (request) => me(request.auth));
    app.post('/write', { preHandler: app.requireAuth() }, async (request) => ({ userId: request.auth?.userId }));
    app.post('/login', async (request, reply) => {
      const result = await reply.signIn({ userId: loginUser(request.query) });
      return { accessToken: result.accessToken, sessionId: result.session.id };
    });
    app.post('/auth/refresh', app.latchkey.refresh());
    app.post('/auth/logout', app.latchkey.signOut());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    return {
      framework,
      port,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        app.server.closeAllConnections?.();
        await app.close();
      },
    };
  }
  const app = new Koa();
  const lk = koaLatchkey(auth);
  const requireAuth = lk.requireAuth();
  const refresh = lk.refresh();
  const signOut = lk.signOut();
  app.use(lk.authenticate());
  app.use(async (ctx, next) => {
    const route = `${ctx.method} ${ctx.path}`;
    switch (route) {
      case 'GET /public':
        ctx.body = { ok: true };
        return;
      case 'GET /me':
        return requireAuth(ctx, async () => {
          ctx.body = me(ctx.state.auth);
        });
      case 'POST /write':
        return requireAuth(ctx, async () => {
          ctx.body = { userId: ctx.state.auth?.userId };
        });
      case 'POST /login': {
        const result = await lk.signIn(ctx, { userId: loginUser(ctx.query) });
        ctx.body = { accessToken: result.accessToken, sessionId: result.session.id };
        return;
      }
      case 'POST /auth/refresh':
        return refresh(ctx, next);
      case 'POST /auth/logout':
        return signOut(ctx, next);
      default:
        return next();
    }
  });
  const server = app.listen();
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const port = (server.address() as AddressInfo).port;
  return { framework, port, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

/** A response as the tests read it: status, headers, raw Set-Cookie lines and the parsed body. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  setCookies: string[];
  text: string;
  json: any;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * Sends one request with exactly these headers (an array value sends the header once per item).
 * Resolves with status 0 when the server drops the connection (tests treat that as a crash signal).
 */
export function send(app: Pick<App, 'port'>, method: string, path: string, headers: OutgoingHttpHeaders = {}, options: { fresh?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // `fresh`: a connection of its own, for requests after which the server may close the socket (431)
    const via = options.fresh ? { agent: false as const } : { agent };
    const req = httpRequest({ host: '127.0.0.1', port: app.port, method, path, headers, ...via }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        const raw = res.headers['set-cookie'];
        resolve({ status: res.statusCode ?? 0, headers: res.headers, setCookies: raw ?? [], text, json });
      });
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 0, headers: {}, setCookies: [], text: '', json: undefined });
      else reject(error);
    });
    req.end();
  });
}

/** The value the Set-Cookie lines leave for `name` (the last line wins, as in a browser); undefined when absent. */
export function cookieValue(setCookies: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (const line of setCookies) {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) value = pair.slice(eq + 1);
  }
  return value;
}

/** Signs in through the app and returns what a browser and an SPA would hold afterwards. */
export interface Login {
  sessionCookie: string;
  refreshCookie: string;
  accessToken: string;
  sessionId: string;
  setCookies: string[];
}

export async function login(app: App, auth: Auth<true>, user = '50', headers: OutgoingHttpHeaders = {}): Promise<Login> {
  const res = await send(app, 'POST', `/login?user=${encodeURIComponent(user)}`, headers);
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${res.text}`);
  const sessionToken = cookieValue(res.setCookies, auth.cookies.session);
  const refreshToken = cookieValue(res.setCookies, auth.cookies.refresh);
  if (!sessionToken || !refreshToken) throw new Error(`login set no cookies: ${res.setCookies.join(' | ')}`);
  return {
    sessionCookie: `${auth.cookies.session}=${sessionToken}`,
    refreshCookie: `${auth.cookies.refresh}=${refreshToken}`,
    accessToken: res.json.accessToken,
    sessionId: res.json.sessionId,
    setCookies: res.setCookies,
  };
}

/** Runs `body` for each framework with a fresh app on `auth`, closing it afterwards. */
export async function withApp<T>(framework: Framework, auth: Auth<true>, body: (app: App) => Promise<T>): Promise<T> {
  const app = await startApp(framework, auth);
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}

/** A store whose every call fails, as a Redis outage looks to latchkey. */
export function brokenStore(inner: SessionStore, broken: { on: boolean }): SessionStore {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (broken.on) throw new Error('ECONNREFUSED 127.0.0.1:6379');
      return call(...args);
    };
  return {
    create: wrap((r) => inner.create(r)),
    get: wrap((id) => inner.get(id)),
    update: wrap((r, v) => inner.update(r, v)),
    touch: wrap((id, a) => inner.touch(id, a)),
    delete: wrap((id) => inner.delete(id)),
    listByUser: wrap((u) => inner.listByUser(u)),
    deleteByUser: wrap((u, o) => inner.deleteByUser(u, o)),
  };
}
