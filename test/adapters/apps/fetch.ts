// The scenario table's bare fetch handler (Web Request -> Response, no framework), served by @hono/node-server:
// the routes listed on `StartApp`, built the way a user would with latchkey/fetch.
import type { AddressInfo } from 'node:net';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { serve } from '@hono/node-server';
import { latchkey } from '../../../src/entries/fetch.js';
import { brokenCheck, describeAuth, isAdmin, type StartApp } from '../scenarios.js';

/** JSON with the charset Express, Fastify and Koa send (so the app's own answers compare too), plus the draft headers. */
function json(body: unknown, status = 200, draft?: Headers): Response {
  const headers = new Headers(draft);
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers });
}

export const startFetch: StartApp = async (auth) => {
  const ips = new WeakMap<Request, string | undefined>();
  // The headers a route has decided on so far, which its error answer keeps too (as a framework's response object does).
  const drafts = new WeakMap<Request, Headers>();
  const lk = latchkey(auth, { ip: (request) => ips.get(request) });
  const requireAuth = lk.requireAuth();
  const requireAdmin = lk.requireAuth({ check: isAdmin });
  const requireBroken = lk.requireAuth({ check: brokenCheck });
  const requireRecent = lk.requireAuth({ maxAge: '5m' });

  const app = lk.handler(async (request, current) => {
    const url = new URL(request.url);
    switch (`${request.method} ${url.pathname}`) {
      case 'POST /login': {
        drafts.get(request)!.append('set-cookie', 'theme=dark; Path=/');
        const result = await lk.signIn(request, { userId: String(url.searchParams.get('user')), data: { role: String(url.searchParams.get('role')) } });
        return json({ accessToken: result.accessToken, expiresIn: result.expiresIn });
      }
      case 'GET /me':
      case 'GET /admin':
      case 'POST /write':
      case 'GET /boom': {
        const guard = url.pathname === '/admin' ? requireAdmin : url.pathname === '/boom' ? requireBroken : requireAuth;
        const who = await guard(request);
        if (who instanceof Response) return who;
        if (url.pathname === '/write') return json({ wrote: true, userId: who.userId });
        return json(url.pathname === '/boom' ? { unreachable: true } : describeAuth(who));
      }
      case 'GET /recent': {
        const who = await requireRecent(request);
        return who instanceof Response ? who : json(describeAuth(who));
      }
      case 'POST /reauth': {
        const who = await requireAuth(request);
        if (who instanceof Response) return who;
        const result = await auth.reauthenticate(who.sessionId, { amr: ['pwd'] });
        const response = json({ accessToken: result.accessToken, expiresIn: result.expiresIn });
        for (const line of result.setCookies) response.headers.append('set-cookie', line);
        return response;
      }
      case 'GET /public':
        return json({ signedIn: current !== null });
      case 'POST /auth/refresh':
        return lk.refresh(request);
      case 'POST /auth/logout':
        return lk.signOut(request);
      default:
        return json({ error: 'not_found' }, 404);
    }
  });

  // The app's error handler: what a fetch runtime does with a thrown error, made visible.
  const fetch = async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    ips.set(request, env.incoming.socket.remoteAddress);
    drafts.set(request, new Headers());
    try {
      const response = await app(request);
      // the headers the route decided on stay on its answer, an error answer from lk.handler too (as on a framework)
      const drafted = drafts.get(request)!.getSetCookie();
      if (drafted.length === 0) return response;
      const lines = [...drafted, ...response.headers.getSetCookie().filter((line) => !drafted.includes(line))];
      response.headers.delete('set-cookie');
      for (const line of lines) response.headers.append('set-cookie', line);
      return response;
    } catch (error) {
      const err = error as { status?: number; message: string };
      return json({ appError: err.message }, err.status ?? 500, drafts.get(request));
    }
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
