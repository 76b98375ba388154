// The scenario table's Fastify app: the routes listed on `StartApp`, built the way a user would.
import Fastify from 'fastify';
import { latchkey } from '../../../src/entries/fastify.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

export const startFastify: StartApp = async (auth) => {
  const app = Fastify();
  await app.register(latchkey, { auth });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
    return reply.code(err.statusCode ?? 500).send({ appError: err.message });
  });
  app.post<{ Querystring: { user: string; role: string } }>('/login', async (request, reply) => {
    reply.header('set-cookie', 'theme=dark; Path=/');
    const result = await reply.signIn({ userId: request.query.user, data: { role: request.query.role } });
    return { accessToken: result.accessToken, expiresIn: result.expiresIn };
  });
  app.get('/me', { preHandler: app.requireAuth() }, async (request) => describeAuth(request.auth!));
  app.get('/admin', { preHandler: app.requireAuth({ check: isAdmin }) }, async (request) => describeAuth(request.auth!));
  app.get('/public', async (request) => ({ signedIn: request.auth !== null }));
  app.post('/write', { preHandler: app.requireAuth() }, async (request) => ({ wrote: true, userId: request.auth!.userId }));
  app.get('/boom', { preHandler: app.requireAuth({ check: brokenCheck }) }, async () => ({ unreachable: true }));
  app.get('/recent', { preHandler: app.requireAuth({ maxAge: '5m' }) }, async (request) => describeAuth(request.auth!));
  app.post('/reauth', { preHandler: app.requireAuth() }, async (request, reply) => {
    const result = await auth.reauthenticate(request.auth!.sessionId, { amr: ['pwd'] });
    reply.header('set-cookie', result.setCookies);
    return { accessToken: result.accessToken, expiresIn: result.expiresIn };
  });
  app.post('/auth/refresh', app.latchkey.refresh());
  app.post('/auth/logout', app.latchkey.signOut());

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
};
