// The scenario table's Koa app: the routes listed on `StartApp`, with a five-line router (no extra dependency).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Koa, { type Middleware } from 'koa';
import { latchkey } from '../../../src/entries/koa.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

function router(routes: Record<string, Middleware[]>): Middleware {
  return async (ctx, next) => {
    const chain = routes[`${ctx.method} ${ctx.path}`];
    if (!chain) return next();
    const run = async (i: number): Promise<void> => chain[i]?.(ctx, () => run(i + 1));
    await run(0);
  };
}

export const startKoa: StartApp = async (auth) => {
  const lk = latchkey(auth);
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const err = error as { status?: number; message: string };
      ctx.status = err.status ?? 500;
      ctx.body = { appError: err.message };
    }
  });
  app.use(bodyParser());
  app.use(lk.authenticate()); // also answers the AuthErrors of the routes after it
  app.use(
    router({
      'POST /login': [
        async (ctx) => {
          ctx.append('Set-Cookie', 'theme=dark; Path=/');
          const result = await lk.signIn(ctx, { userId: String(ctx.query.user), data: { role: String(ctx.query.role) } });
          ctx.body = { accessToken: result.accessToken, expiresIn: result.expiresIn };
        },
      ],
      'GET /me': [lk.requireAuth(), (ctx) => void (ctx.body = describeAuth(ctx.state.auth!))],
      'GET /admin': [lk.requireAuth({ check: isAdmin }), (ctx) => void (ctx.body = describeAuth(ctx.state.auth!))],
      'GET /public': [(ctx) => void (ctx.body = { signedIn: ctx.state.auth !== null })],
      'POST /write': [lk.requireAuth(), (ctx) => void (ctx.body = { wrote: true, userId: ctx.state.auth!.userId })],
      'GET /boom': [lk.requireAuth({ check: brokenCheck }), (ctx) => void (ctx.body = { unreachable: true })],
      'GET /recent': [lk.requireAuth({ maxAge: '5m' }), (ctx) => void (ctx.body = describeAuth(ctx.state.auth!))],
      'POST /reauth': [
        lk.requireAuth(),
        async (ctx) => {
          const result = await auth.reauthenticate(ctx.state.auth!.sessionId, { amr: ['pwd'] });
          ctx.append('Set-Cookie', result.setCookies);
          ctx.body = { accessToken: result.accessToken, expiresIn: result.expiresIn };
        },
      ],
      'POST /auth/refresh': [lk.refresh()],
      'POST /auth/logout': [lk.signOut()],
    }),
  );

  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
