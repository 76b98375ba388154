// examples/readiness/routes.mjs on Express, Fastify and Hono: 200 while the store is up and the revocation
// lag is within the bound, 503 when the store is down, the lag is over the bound, or the channel is unconfirmed.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono, type Handler as HonoHandler } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore, type Auth, type SessionStore } from '../../src/entries/index.js';
import { brokenStore } from '../security/support.js';

type Handler = (auth: Pick<Auth, 'health'>, options?: { maxLag?: number }) => unknown;
interface Routes {
  expressReadiness: Handler;
  fastifyReadiness: Handler;
  honoReadiness: Handler;
}

let routes: Routes;
beforeAll(async () => {
  const path = '../../examples/readiness/routes.mjs';
  routes = (await import(path)) as Routes;
});

/** Serves GET /health/ready for `auth` on `framework`; returns its URL and a closer. */
async function serveReadiness(framework: 'express' | 'fastify' | 'hono', auth: Auth<boolean>): Promise<{ url: string; close: () => Promise<void> }> {
  const options = { maxLag: 1000 };
  if (framework === 'fastify') {
    const app = Fastify();
    app.get('/health/ready', routes.fastifyReadiness(auth, options) as Parameters<typeof app.get>[1]);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  }
  let server: Server;
  if (framework === 'express') {
    const app = express();
    app.get('/health/ready', routes.expressReadiness(auth, options) as express.RequestHandler);
    server = app.listen(0, '127.0.0.1');
  } else {
    const app = new Hono();
    app.get('/health/ready', routes.honoReadiness(auth, options) as HonoHandler);
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  }
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(['express', 'fastify', 'hono'] as const)('readiness route on %s', (framework) => {
  const broken = { on: false };
  const lag = { value: 250 };
  let key: Awaited<ReturnType<typeof generateKey>>;
  const servers: { close: () => Promise<void> }[] = [];
  beforeAll(async () => {
    key = await generateKey('EdDSA');
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  async function ask(auth: Auth<boolean>): Promise<{ status: number; body: unknown; cache: string | null }> {
    const server = await serveReadiness(framework, auth);
    servers.push(server);
    const res = await fetch(`${server.url}/health/ready`);
    return { status: res.status, body: await res.json(), cache: res.headers.get('cache-control') };
  }

  it('200 on a memory store (no channel)', async () => {
    expect(await ask(createAuth())).toEqual({ status: 200, body: { ready: true, store: 'up', revocationLag: null }, cache: 'no-store' });
  });

  it('503 while the store is down', async () => {
    broken.on = true;
    const answer = await ask(createAuth({ store: brokenStore(memoryStore(), broken) }));
    broken.on = false;
    expect(answer).toEqual({ status: 503, body: { ready: false, store: 'down', revocationLag: null }, cache: 'no-store' });
  });

  it('with checkSession: 200 within the lag bound, 503 over it, 503 while unconfirmed', async () => {
    const store: SessionStore = { ...brokenStore(memoryStore(), broken), subscribe: () => () => {}, broadcastLag: () => lag.value };
    const auth = createAuth({ keys: [key], issuer: 'https://api.example.com', audience: 'web', store, accessToken: { checkSession: true } });
    lag.value = 250;
    expect((await ask(auth)).body).toEqual({ ready: true, store: 'up', revocationLag: 250 });
    lag.value = 5000;
    expect(await ask(auth)).toMatchObject({ status: 503, body: { ready: false, store: 'up', revocationLag: 5000 } });
    lag.value = Infinity;
    expect(await ask(auth)).toMatchObject({ status: 503, body: { ready: false, store: 'up', revocationLag: 'unconfirmed' } });
  });
});
