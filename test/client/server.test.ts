// What the server answers to the client's refresh and sign-out requests, over real HTTP (the Express adapter):
// which answers clear the cookies (the session is over) and which never do (a lost refresh race, 409, 429,
// 503), and the client driving the real adapter: expiry, refresh, revocation, a rate limiter in front.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore, type Auth, type SessionStore } from '../../src/entries/index.js';
import { latchkey } from '../../src/entries/express.js';
import { createClient, type ClientState } from '../../src/entries/client.js';
import { testClock, type TestClock } from '../support/core.js';

const SESSION = '__Host-latchkey.session';
const REFRESH = '__Secure-latchkey.refresh';

interface App {
  url: string;
  auth: Auth<true>;
  clock: TestClock;
  /** A browser's cookie jar and fetch: keeps Set-Cookie by name and path, sends what matches, deletes on Max-Age=0. */
  browser: { fetch: typeof fetch; cookies: Map<string, { value: string; path: string }>; setCookies: string[][] };
  close(): Promise<void>;
}

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(options: { store?: (now: () => number) => SessionStore; limitRefresh?: () => boolean } = {}): Promise<App> {
  const clock = testClock();
  const auth = createAuth({
    keys: [await generateKey('EdDSA')],
    issuer: 'https://api.example.com',
    audience: 'web',
    now: clock.now,
    accessToken: { ttl: '1m', clockTolerance: '0s', checkSession: true },
    ...(options.store ? { store: options.store(clock.now) } : {}),
  }) as Auth<true>;
  const lk = latchkey(auth);
  const app = express();
  app.use(lk.authenticate());
  app.post('/login', async (req, res) => {
    const result = await lk.signIn(req, res, { userId: 'u1' });
    res.json({ accessToken: result.accessToken, expiresIn: result.expiresIn });
  });
  app.get('/api/me', lk.requireAuth(), (req, res) => res.json({ userId: req.auth!.userId }));
  // a rate limiter in front of the refresh route, as apps add one: it answers 429 on its own
  app.post('/auth/refresh', (req, res, next) => (options.limitRefresh?.() ? res.status(429).set('retry-after', '1').json({ error: 'too_many' }) : next()), lk.refresh());
  app.post('/auth/logout', lk.signOut());
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const cookies = new Map<string, { value: string; path: string }>();
  const setCookies: string[][] = [];
  const browserFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const pairs = [...cookies].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    if (pairs.length > 0) request.headers.set('cookie', pairs.join('; '));
    const answer = await fetch(request);
    const lines = answer.headers.getSetCookie();
    setCookies.push(lines);
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      const cookiePath = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
      if (attributes.some((a) => /^max-age=0$/i.test(a)) || value === '') cookies.delete(name);
      else cookies.set(name, { value, path: cookiePath });
    }
    return answer;
  };
  const running: App = {
    url,
    auth,
    clock,
    browser: { fetch: browserFetch, cookies, setCookies },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await auth.close();
    },
  };
  apps.push(running);
  return running;
}

async function signIn(app: App): Promise<{ accessToken: string; expiresIn: number }> {
  return (await app.browser.fetch(`${app.url}/login`, { method: 'POST' })).json() as Promise<{ accessToken: string; expiresIn: number }>;
}

const refresh = (app: App): Promise<Response> => app.browser.fetch(`${app.url}/auth/refresh`, { method: 'POST' });
/** The Set-Cookie lines of an answer that clear a cookie (empty value, Max-Age=0). */
const clearing = (lines: readonly string[]): string[] => lines.filter((line) => /Max-Age=0/i.test(line)).map((line) => line.split('=')[0]!);

describe('answers that clear the cookies: the session is over', () => {
  it('sign-out answers 204 and clears the session and refresh cookies', async () => {
    const app = await start();
    const { accessToken } = await signIn(app);
    const answer = await app.browser.fetch(`${app.url}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    expect(answer.status).toBe(204);
    expect(clearing(answer.headers.getSetCookie())).toEqual([SESSION, REFRESH]);
  });

  it('a refresh for a signed-out, idle-expired or replayed session answers 401 and clears both cookies', async () => {
    const signedOut = await start();
    const { accessToken } = await signIn(signedOut);
    await signedOut.auth.signOut((await signedOut.auth.verifyAccessToken(accessToken)).sid);
    const gone = await refresh(signedOut);
    expect([gone.status, await gone.json(), clearing(gone.headers.getSetCookie())]).toEqual([401, { error: 'session_invalid' }, [SESSION, REFRESH]]);

    const idle = await start();
    await signIn(idle);
    idle.clock.advance(31 * 60_000); // past the 30-minute idle timeout
    const expired = await refresh(idle);
    // the memory store has already let the idle record expire: session_invalid (session_expired where a store keeps it)
    expect([expired.status, await expired.json(), clearing(expired.headers.getSetCookie())]).toEqual([401, { error: expect.stringMatching(/^session_(expired|invalid)$/) }, [SESSION, REFRESH]]);

    const replayed = await start();
    await signIn(replayed);
    const first = replayed.browser.cookies.get(REFRESH)!.value;
    expect((await refresh(replayed)).status).toBe(200);
    replayed.clock.advance(11_000); // past the 10 s grace window
    expect((await refresh(replayed)).status).toBe(200); // generation 1 used: generation 0 is older than the last used
    replayed.browser.cookies.set(REFRESH, { value: first, path: '/auth/refresh' });
    const reused = await refresh(replayed);
    expect([reused.status, await reused.json(), clearing(reused.headers.getSetCookie())]).toEqual([401, { error: 'refresh_reused' }, [SESSION, REFRESH]]);
  });

  it('a malformed or forged refresh cookie answers 401 token_invalid and leaves the cookies alone (it names no session of ours)', async () => {
    const app = await start();
    await signIn(app);
    const genuine = app.browser.cookies.get(REFRESH)!.value;
    app.browser.cookies.set(REFRESH, { value: `${genuine.slice(0, -4)}AAAA`, path: '/auth/refresh' });
    const forged = await refresh(app);
    expect([forged.status, await forged.json(), forged.headers.getSetCookie()]).toEqual([401, { error: 'token_invalid' }, []]);
    app.browser.cookies.set(REFRESH, { value: genuine, path: '/auth/refresh' });
    expect((await refresh(app)).status).toBe(200); // nothing was revoked
  });
});

describe('answers that never clear a cookie', () => {
  it('a lost refresh race: two refreshes with one cookie both get 200 and the same new cookie, and no clearing line', async () => {
    const app = await start();
    await signIn(app);
    const [a, b] = await Promise.all([refresh(app), refresh(app)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [linesA, linesB] = [a.headers.getSetCookie(), b.headers.getSetCookie()];
    expect(clearing([...linesA, ...linesB])).toEqual([]);
    expect(linesA.map((l) => l.split(';')[0])).toEqual(linesB.map((l) => l.split(';')[0]));
    expect(linesA[0]).toMatch(new RegExp(`^${REFRESH}=[^;]+`));
  });

  it('409 session_conflict (the store kept losing compare-and-set) answers without clearing', async () => {
    const app = await start({
      store: (now) => {
        const inner = memoryStore({ now });
        // a store without advanceRefresh whose every update loses the race
        return { create: (r) => inner.create(r), get: (id) => inner.get(id), touch: (id, a) => inner.touch(id, a), delete: (id) => inner.delete(id), listByUser: (u) => inner.listByUser(u), deleteByUser: (u, o) => inner.deleteByUser(u, o), update: async () => false };
      },
    });
    await signIn(app);
    const answer = await refresh(app);
    expect([answer.status, await answer.json(), answer.headers.getSetCookie()]).toEqual([409, { error: 'session_conflict' }, []]);
    expect(app.browser.cookies.has(REFRESH)).toBe(true);
  });

  it('503 store_unavailable answers with Retry-After and without clearing', async () => {
    let down = false;
    const app = await start({
      store: (now) => {
        const inner = memoryStore({ now });
        const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
          if (down) throw new Error('ECONNREFUSED');
          return fn(...args);
        };
        return { ...inner, get: guard(inner.get.bind(inner)), update: guard(inner.update.bind(inner)), advanceRefresh: inner.advanceRefresh && guard(inner.advanceRefresh.bind(inner)) };
      },
    });
    await signIn(app);
    down = true;
    const answer = await refresh(app);
    expect([answer.status, answer.headers.get('retry-after'), answer.headers.getSetCookie()]).toEqual([503, '1', []]);
    down = false;
    expect((await refresh(app)).status).toBe(200);
  });
});

describe('a rotation the store applied but reported as failed (docs/client.md, Limits)', () => {
  async function timedOutRotation(): Promise<App> {
    let failAfterApplying = false;
    const app = await start({
      store: (now) => {
        const inner = memoryStore({ now });
        return {
          ...inner,
          get: inner.get.bind(inner),
          update: inner.update.bind(inner),
          // like a frozen Redis: the command runs later, but latchkey has already answered 503
          advanceRefresh: async (id, step) => {
            const outcome = await inner.advanceRefresh!(id, step);
            if (failAfterApplying) throw new Error('Command timed out');
            return outcome;
          },
        };
      },
    });
    await signIn(app);
    failAfterApplying = true;
    expect((await refresh(app)).status).toBe(503); // the browser keeps the previous generation
    failAfterApplying = false;
    return app;
  }

  it('the next refresh within the grace window still succeeds, and the session carries on', async () => {
    const app = await timedOutRotation();
    app.clock.advance(9_000);
    expect((await refresh(app)).status).toBe(200);
    expect((await refresh(app)).status).toBe(200);
  });

  it('after the grace window (15 s, 10 min) it is still a retry: 200, the session carries on, no theft alarm', async () => {
    for (const wait of [15_000, 600_000]) {
      const app = await timedOutRotation();
      app.clock.advance(wait);
      const answer = await refresh(app);
      expect(answer.status).toBe(200);
      expect(await app.auth.sessions.list('u1')).toHaveLength(1);
      expect((await refresh(app)).status).toBe(200);
    }
  });
});

describe('the client against the Express adapter', () => {
  function clientFor(app: App) {
    const client = createClient({ refreshUrl: `${app.url}/auth/refresh`, signOutUrl: `${app.url}/auth/logout`, fetch: app.browser.fetch });
    const states: ClientState[] = [];
    client.onChange((state) => states.push(state));
    return { client, states };
  }

  it('an expired access token is refreshed and the call retried; the app only sees the 200', async () => {
    const app = await start();
    const { client, states } = clientFor(app);
    const { accessToken, expiresIn } = await signIn(app);
    client.setAccessToken(accessToken, expiresIn);
    expect((await client.fetch(`${app.url}/api/me`)).status).toBe(200);
    app.clock.advance(61_000); // the server's clock: the token has expired there
    const seen = app.browser.setCookies.length;
    const answer = await client.fetch(`${app.url}/api/me`);
    expect([answer.status, await answer.json()]).toEqual([200, { userId: 'u1' }]);
    expect(app.browser.setCookies.length - seen).toBe(3); // 401, refresh (rotated cookie), retry
    expect(states).toEqual(['signed-in']);
    client.close();
  });

  it('a session revoked on the server signs the client out; the cookies are cleared', async () => {
    const app = await start();
    const { client, states } = clientFor(app);
    const { accessToken, expiresIn } = await signIn(app);
    client.setAccessToken(accessToken, expiresIn);
    await app.auth.signOutEverywhere('u1');
    expect((await client.fetch(`${app.url}/api/me`)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(states).toEqual(['signed-in', 'signed-out']);
    expect([...app.browser.cookies.keys()]).toEqual([]);
    client.close();
  });

  it('a 429 from a rate limiter on the refresh route is "unavailable", never a sign-out; the session carries on', async () => {
    let limited = true;
    let asked = 0;
    const app = await start({ limitRefresh: () => (asked++, limited) });
    const { client, states } = clientFor(app);
    const { accessToken, expiresIn } = await signIn(app);
    client.setAccessToken(accessToken, expiresIn);
    app.clock.advance(61_000);
    expect((await client.fetch(`${app.url}/api/me`)).status).toBe(429);
    expect(app.browser.cookies.has(REFRESH)).toBe(true);
    limited = false;
    // until the scheduled retry (2 s) the client does not ask again: the limiter is not hammered
    expect((await client.fetch(`${app.url}/api/me`)).status).toBe(503);
    expect(asked).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(asked).toBe(2);
    expect((await client.fetch(`${app.url}/api/me`)).status).toBe(200);
    expect(states).toEqual(['signed-in', 'unavailable', 'signed-in']);
    client.close();
  });

  it('client.signOut ends the session on the server and clears the cookies', async () => {
    const app = await start();
    const { client } = clientFor(app);
    const { accessToken, expiresIn } = await signIn(app);
    client.setAccessToken(accessToken, expiresIn);
    await client.signOut();
    expect(client.state).toBe('signed-out');
    expect(await app.auth.sessions.list('u1')).toEqual([]);
    expect([...app.browser.cookies.keys()]).toEqual([]);
    client.close();
  });
});
