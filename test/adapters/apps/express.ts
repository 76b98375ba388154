// The scenario table's Express app: the routes listed on `StartApp`, built the way a user would.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { latchkey } from '../../../src/entries/express.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

/** The app on a given Express (`express` is 5; the scenario table also runs on 4 through the `express4` alias). */
export const startExpressOn = (createApp: typeof express): StartApp => async (auth) => {
  const lk = latchkey(auth);
  const app = createApp();
  app.use(createApp.json());
  app.use(lk.authenticate());
  // Express 4 leaves a rejected async handler unhandled: lk.route hands the rejection to next(), on 4 and 5
  app.post(
    '/login',
    lk.route(async (req, res) => {
      res.append('Set-Cookie', 'theme=dark; Path=/');
      const result = await lk.signIn(req, res, { userId: String(req.query.user), data: { role: String(req.query.role) } });
      res.json({ accessToken: result.accessToken, expiresIn: result.expiresIn });
    }),
  );
  app.get('/me', lk.requireAuth(), (req, res) => {
    res.json(describeAuth(req.auth!));
  });
  app.get('/admin', lk.requireAuth({ check: isAdmin }), (req, res) => {
    res.json(describeAuth(req.auth!));
  });
  app.get('/public', (req, res) => {
    res.json({ signedIn: req.auth !== null });
  });
  app.post('/write', lk.requireAuth(), (req, res) => {
    res.json({ wrote: true, userId: req.auth!.userId });
  });
  app.get('/boom', lk.requireAuth({ check: brokenCheck }), (_req, res) => {
    res.json({ unreachable: true });
  });
  app.get('/recent', lk.requireAuth({ maxAge: '5m' }), (req, res) => {
    res.json(describeAuth(req.auth!));
  });
  app.post('/reauth', lk.requireAuth(), async (req, res, next) => {
    try {
      const result = await auth.reauthenticate(req.auth!.sessionId, { amr: ['pwd'] });
      res.append('Set-Cookie', result.setCookies);
      res.json({ accessToken: result.accessToken, expiresIn: result.expiresIn });
    } catch (error) {
      next(error);
    }
  });
  app.post('/auth/refresh', lk.refresh());
  app.post('/auth/logout', lk.signOut());
  const onError: ErrorRequestHandler = (err: { status?: number; message: string }, _req, res, _next) => {
    res.status(err.status ?? 500).json({ appError: err.message });
  };
  app.use(lk.errorHandler()); // AuthErrors get their JSON answer; the rest reach the app's handler
  app.use(onError);

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

export const startExpress: StartApp = startExpressOn(express);
