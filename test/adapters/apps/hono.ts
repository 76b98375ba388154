// The scenario table's Hono app on @hono/node-server: the routes listed on `StartApp`, built the way a user would.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isAuthError } from '../../../src/entries/index.js';
import { latchkey } from '../../../src/entries/hono.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

/** JSON with the charset Express, Fastify and Koa send, so the app's own answers compare too. */
const json = (c: Context, body: unknown, status: ContentfulStatusCode = 200): Response =>
  c.body(JSON.stringify(body), status, { 'content-type': 'application/json; charset=utf-8' });

export const startHono: StartApp = async (auth) => {
  const lk = latchkey(auth);
  const app = new Hono();
  app.use('*', lk.authenticate());
  app.post('/login', async (c) => {
    c.header('set-cookie', 'theme=dark; Path=/', { append: true });
    const result = await lk.signIn(c, { userId: String(c.req.query('user')), data: { role: String(c.req.query('role')) } });
    return json(c, { accessToken: result.accessToken, expiresIn: result.expiresIn });
  });
  app.get('/me', lk.requireAuth(), (c) => json(c, describeAuth(c.get('auth')!)));
  app.get('/admin', lk.requireAuth({ check: isAdmin }), (c) => json(c, describeAuth(c.get('auth')!)));
  app.get('/public', (c) => json(c, { signedIn: c.get('auth') !== null }));
  app.post('/write', lk.requireAuth(), (c) => json(c, { wrote: true, userId: c.get('auth')!.userId }));
  app.get('/boom', lk.requireAuth({ check: brokenCheck }), (c) => json(c, { unreachable: true }));
  app.get('/recent', lk.requireAuth({ maxAge: '5m' }), (c) => json(c, describeAuth(c.get('auth')!)));
  app.post('/reauth', lk.requireAuth(), async (c) => {
    const result = await auth.reauthenticate(c.get('auth')!.sessionId, { amr: ['pwd'] });
    for (const line of result.setCookies) c.header('set-cookie', line, { append: true });
    return json(c, { accessToken: result.accessToken, expiresIn: result.expiresIn });
  });
  app.post('/auth/refresh', lk.refresh());
  app.post('/auth/logout', lk.signOut());
  app.onError((err, c) => (isAuthError(err) ? lk.onError(err, c) : json(c, { appError: err.message }, ((err as { status?: number }).status ?? 500) as ContentfulStatusCode)));

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
