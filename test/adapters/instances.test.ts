// Two Auth instances in one app (say, users and admins with separate stores) never share a request's
// resolution: each adapter instance authenticates the request against its own Auth.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth } from '../../src/entries/index.js';
import { latchkey as expressLatchkey } from '../../src/entries/express.js';
import { latchkey as koaLatchkey } from '../../src/entries/koa.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function cookieFor(auth: ReturnType<typeof createAuth>): Promise<string> {
  const { setCookies } = await auth.signIn({ userId: 'u1' });
  return setCookies.map((line) => line.split(';')[0]).join('; ');
}

describe('two Auth instances on one route', () => {
  it('Express: the second instance checks the request itself and refuses a session only the first knows', async () => {
    const users = createAuth();
    const admins = createAuth();
    const app = express();
    const a = expressLatchkey(users);
    const b = expressLatchkey(admins);
    app.get('/users', a.requireAuth(), (req, res) => res.json({ ok: true }));
    app.get('/both', a.requireAuth(), b.requireAuth(), (req, res) => res.json({ ok: true }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    const cookie = await cookieFor(users);
    expect((await fetch(`${base}/users`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/both`, { headers: { cookie } })).status).toBe(401);
  });

  it('Koa: the second instance checks the request itself and refuses a session only the first knows', async () => {
    const users = createAuth();
    const admins = createAuth();
    const a = koaLatchkey(users);
    const b = koaLatchkey(admins);
    const app = new Koa();
    app.use(a.requireAuth());
    app.use(async (ctx, next) => (ctx.path === '/both' ? b.requireAuth()(ctx, next) : next()));
    app.use((ctx) => (ctx.body = { ok: true }));
    const base = await listen(app.listen(0, '127.0.0.1'));
    const cookie = await cookieFor(users);
    expect((await fetch(`${base}/users`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/both`, { headers: { cookie } })).status).toBe(401);
  });
});
