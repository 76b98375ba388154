// One HTTP server for bench/http.mjs: `node bench/http-server.mjs <framework> <variant> <port> [redisUrl] [postgresUrl]`.
// Routes: POST /login (creates the credential), GET /me (protected; answers {"userId": ...}).
// Prints "ready" on stdout once listening. Variants:
//   bare | noop | latchkey-bearer | latchkey-cookie | latchkey-cookie-redis   (every framework)
//   noop: bare plus one middleware that does nothing, mounted where latchkey's requireAuth goes (and, on
//   Fastify, the onRequest hook the plugin adds): what the framework itself charges for any auth middleware.
//   hash-floor: bare plus one middleware that finds the session cookie and SHA-256-hashes its secret, then
//   compares that with a stored hash (and a POST /login that sets a cookie of latchkey's name and shape):
//   the least any check of a hashed-at-rest session secret does, with no store, no framework glue.
//   latchkey-cookie-redis[-nocache] | latchkey-cookie-postgres[-nocache]    (every framework; -nocache: session.cache false)
//   express-session-memory | express-session-redis | express-session-postgres (express)
//   fastify-jwt | fastify-jwt-cache | fastify-session-redis | fastify-session-postgres (fastify)
//   koa-session | koa-session-redis                                          (koa)
//   hono-jwt                                                                 (hono, on @hono/node-server)
import { generateKeyPairSync, hash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mountExpressSession, USER } from './express-session-app.mjs';

const require = createRequire(import.meta.url);
const [framework, variant, portArg, redisUrl, postgresUrl] = process.argv.slice(2);
const port = Number(portArg);
const ISS = 'https://api.example.com';
const AUD = 'web';

async function latchkeyAuth() {
  const { createAuth, generateKey } = await import('../dist/index.js');
  let store;
  if (variant.startsWith('latchkey-cookie-redis')) {
    const { redisStore } = await import('../dist/redis.js');
    const { default: Redis } = await import('ioredis');
    // As docs/redis.md recommends (node-redis, under connect-redis, pipelines on its own too).
    store = redisStore({ client: new Redis(redisUrl, { enableAutoPipelining: true }) });
  } else if (variant.startsWith('latchkey-cookie-postgres')) {
    const { postgresStore } = await import('../dist/postgres.js');
    const { default: pg } = await import('pg');
    store = postgresStore({ pool: new pg.Pool({ connectionString: postgresUrl, max: 10 }), createTable: true });
    await store.ready();
  }
  // `-nocache`: the store read on every request (session.cache: false), as before issue 27
  const session = variant.endsWith('-nocache') ? { session: { cache: false } } : {};
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISS, audience: AUD, ...(store ? { store } : {}), ...session });
  await auth.ready();
  return auth;
}

const isLatchkey = variant.startsWith('latchkey-');

/** connect-pg-simple on a pg.Pool (max 10, as latchkey's), its table created if missing: the express-session peer on PostgreSQL. */
async function pgSessionStore() {
  const { default: pg } = await import('pg');
  const { default: session } = await import('express-session');
  const { default: pgSession } = await import('connect-pg-simple');
  const PGStore = pgSession(session);
  const store = new PGStore({ pool: new pg.Pool({ connectionString: postgresUrl, max: 10 }), createTableIfMissing: true });
  await new Promise((resolve) => store.get('warm-up', () => resolve())); // the table exists before the first request
  return store;
}

// hash-floor: a cookie of latchkey's name and shape (22-character id, '.', 43-character secret), its hash kept.
const FLOOR_NAME = '__Host-latchkey.session';
const FLOOR_VALUE = `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
const FLOOR_HASH = hash('sha256', FLOOR_VALUE.slice(23), 'base64url');
const FLOOR_COOKIE = `${FLOOR_NAME}=${FLOOR_VALUE}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax`;
/** The floor's whole check: the cookie's value, the hash of its secret, one compare. */
function floorCheck(cookieHeader) {
  const at = typeof cookieHeader === 'string' ? cookieHeader.indexOf(`${FLOOR_NAME}=`) : -1;
  if (at < 0) return false;
  const value = cookieHeader.slice(at + FLOOR_NAME.length + 1, at + FLOOR_NAME.length + 67);
  return hash('sha256', value.slice(23), 'base64url') === FLOOR_HASH;
}

async function express() {
  const { default: createApp } = await import('express');
  const app = createApp();
  app.disable('x-powered-by');
  if (variant === 'bare') {
    app.post('/login', (req, res) => res.json({ ok: true }));
    app.get('/me', (req, res) => res.json({ userId: 'anonymous' }));
  } else if (variant === 'noop') {
    app.post('/login', (req, res) => res.json({ ok: true }));
    app.get('/me', (req, res, next) => next(), (req, res) => res.json({ userId: 'anonymous' }));
  } else if (variant === 'hash-floor') {
    app.post('/login', (req, res) => res.set('set-cookie', FLOOR_COOKIE).json({ ok: true }));
    app.get('/me', (req, res, next) => (floorCheck(req.headers.cookie) ? next() : res.status(401).end()), (req, res) => res.json({ userId: 'user-1' }));
  } else if (isLatchkey) {
    const { latchkey } = await import('../dist/express.js');
    const lk = latchkey(await latchkeyAuth());
    app.post('/login', async (req, res) => {
      const { accessToken } = await lk.signIn(req, res, USER);
      res.json({ accessToken });
    });
    app.get('/me', lk.requireAuth(), (req, res) => res.json({ userId: req.auth.userId }));
  } else {
    let store;
    if (variant === 'express-session-redis') {
      const { RedisStore } = await import('connect-redis');
      const { createClient } = await import('redis');
      const client = createClient({ url: redisUrl });
      await client.connect();
      store = new RedisStore({ client });
    } else if (variant === 'express-session-postgres') {
      store = await pgSessionStore();
    }
    await mountExpressSession(app, store);
  }
  return new Promise((resolve) => app.listen(port, '127.0.0.1', resolve));
}

async function fastify() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (variant === 'bare') {
    app.post('/login', async () => ({ ok: true }));
    app.get('/me', async () => ({ userId: 'anonymous' }));
  } else if (variant === 'noop') {
    app.addHook('onRequest', (request, reply, done) => done());
    app.post('/login', async () => ({ ok: true }));
    app.get('/me', { preHandler: (request, reply, done) => done() }, async () => ({ userId: 'anonymous' }));
  } else if (variant === 'hash-floor') {
    app.addHook('onRequest', (request, reply, done) => done());
    app.post('/login', async (request, reply) => (reply.header('set-cookie', FLOOR_COOKIE), { ok: true }));
    app.get('/me', { preHandler: (request, reply, done) => (floorCheck(request.headers.cookie) ? done() : reply.code(401).send()) }, async () => ({ userId: 'user-1' }));
  } else if (isLatchkey) {
    const { latchkey } = await import('../dist/fastify.js');
    await app.register(latchkey, { auth: await latchkeyAuth() });
    app.post('/login', async (request, reply) => {
      const { accessToken } = await reply.signIn(USER);
      return { accessToken };
    });
    app.get('/me', { preHandler: app.requireAuth() }, async (request) => ({ userId: request.auth.userId }));
  } else if (variant === 'fastify-session-redis' || variant === 'fastify-session-postgres') {
    // @fastify/session on a Redis store (connect-redis, which it accepts), settings as for express-session
    // below, and rolling: false so that a request inside the session's lifetime is one GET and no write.
    const { default: fastifyCookie } = await import('@fastify/cookie');
    const { default: fastifySession } = await import('@fastify/session');
    let store;
    if (variant === 'fastify-session-redis') {
      const { RedisStore } = await import('connect-redis');
      const { createClient } = await import('redis');
      const client = createClient({ url: redisUrl });
      await client.connect();
      store = new RedisStore({ client });
    } else {
      store = await pgSessionStore(); // a connect store, which @fastify/session accepts as it does connect-redis
    }
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: 'bench-secret-bench-secret-bench-secret', cookie: { secure: false }, saveUninitialized: false, rolling: false, store });
    app.post('/login', async (request) => {
      request.session.set('userId', USER.userId);
      request.session.set('data', USER.data);
      return { ok: true };
    });
    app.get('/me', async (request, reply) => {
      const userId = request.session.get('userId');
      if (!userId) return reply.code(401).send({ error: 'credentials_missing' });
      return { userId };
    });
  } else {
    const { default: fastifyJwt } = await import('@fastify/jwt');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await app.register(fastifyJwt, {
      secret: { private: privateKey, public: publicKey },
      sign: { algorithm: 'EdDSA', iss: ISS, aud: AUD, expiresIn: '15m' },
      verify: { allowedIss: ISS, allowedAud: AUD, ...(variant === 'fastify-jwt-cache' ? { cache: true } : {}) },
    });
    app.post('/login', async (request, reply) => ({ accessToken: await reply.jwtSign({ sub: USER.userId, role: 'admin' }) }));
    app.get('/me', { onRequest: async (request) => request.jwtVerify() }, async (request) => ({ userId: request.user.sub }));
  }
  await app.listen({ port, host: '127.0.0.1' });
}

async function koa() {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  app.silent = true; // autocannon closing its sockets is not worth a stack trace each
  const route = (method, path, handler) => app.use(async (ctx, next) => (ctx.method === method && ctx.path === path ? handler(ctx, next) : next()));
  if (variant === 'bare') {
    route('POST', '/login', (ctx) => (ctx.body = { ok: true }));
    route('GET', '/me', (ctx) => (ctx.body = { userId: 'anonymous' }));
  } else if (variant === 'noop') {
    route('POST', '/login', (ctx) => (ctx.body = { ok: true }));
    route('GET', '/me', (ctx) => ((ctx2, next) => next())(ctx, async () => (ctx.body = { userId: 'anonymous' })));
  } else if (variant === 'hash-floor') {
    route('POST', '/login', (ctx) => (ctx.set('set-cookie', FLOOR_COOKIE), (ctx.body = { ok: true })));
    route('GET', '/me', (ctx) => ((ctx2, next) => (floorCheck(ctx2.headers.cookie) ? next() : void (ctx2.status = 401)))(ctx, async () => (ctx.body = { userId: 'user-1' })));
  } else if (isLatchkey) {
    const { latchkey } = await import('../dist/koa.js');
    const lk = latchkey(await latchkeyAuth());
    const requireAuth = lk.requireAuth();
    route('POST', '/login', async (ctx) => {
      const { accessToken } = await lk.signIn(ctx, USER);
      ctx.body = { accessToken };
    });
    route('GET', '/me', (ctx) => requireAuth(ctx, async () => (ctx.body = { userId: ctx.state.auth.userId })));
  } else {
    const { default: session } = require('koa-session');
    app.keys = ['bench-secret-bench-secret-bench-secret'];
    if (variant === 'koa-session-redis') {
      // koa-session with an external store, koa-redis (on ioredis): a signed cookie holds the id, Redis the session
      const redisStore = require('koa-redis');
      app.use(session({ signed: true, store: redisStore({ url: redisUrl }) }, app));
    } else {
      app.use(session({ signed: true }, app)); // koa-session's default: the session lives in a signed cookie
    }
    route('POST', '/login', (ctx) => {
      ctx.session.userId = USER.userId;
      ctx.session.data = USER.data;
      ctx.body = { ok: true };
    });
    route('GET', '/me', (ctx) => {
      if (!ctx.session.userId) {
        ctx.status = 401;
        ctx.body = { error: 'credentials_missing' };
        return;
      }
      ctx.body = { userId: ctx.session.userId };
    });
  }
  return new Promise((resolve) => app.listen(port, '127.0.0.1', resolve));
}

async function hono() {
  const [{ Hono }, { serve }] = await Promise.all([import('hono'), import('@hono/node-server')]);
  const app = new Hono();
  if (variant === 'bare') {
    app.post('/login', (c) => c.json({ ok: true }));
    app.get('/me', (c) => c.json({ userId: 'anonymous' }));
  } else if (variant === 'noop') {
    app.post('/login', (c) => c.json({ ok: true }));
    app.get('/me', (c, next) => next(), (c) => c.json({ userId: 'anonymous' }));
  } else if (variant === 'hash-floor') {
    app.post('/login', (c) => (c.header('set-cookie', FLOOR_COOKIE), c.json({ ok: true })));
    app.get('/me', (c, next) => (floorCheck(c.env.incoming.headers.cookie) ? next() : c.body(null, 401)), (c) => c.json({ userId: 'user-1' }));
  } else if (isLatchkey) {
    const { latchkey } = await import('../dist/hono.js');
    const lk = latchkey(await latchkeyAuth());
    app.post('/login', async (c) => {
      const { accessToken } = await lk.signIn(c, USER);
      return c.json({ accessToken });
    });
    app.get('/me', lk.requireAuth(), (c) => c.json({ userId: c.get('auth').userId }));
  } else {
    // hono/jwt, Hono's own middleware, with the same EdDSA key type and the iss/aud checks latchkey makes.
    const { jwt, sign } = await import('hono/jwt');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    app.post('/login', async (c) => {
      const now = Math.floor(Date.now() / 1000);
      return c.json({ accessToken: await sign({ sub: USER.userId, role: 'admin', iss: ISS, aud: AUD, iat: now, exp: now + 900 }, privateKey, 'EdDSA') });
    });
    app.get('/me', jwt({ secret: publicKey, alg: 'EdDSA', verification: { iss: ISS, aud: AUD } }), (c) => c.json({ userId: c.get('jwtPayload').sub }));
  }
  await new Promise((resolve) => serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, resolve));
}

await { express, fastify, koa, hono }[framework]();
process.stdout.write('ready\n');
