// Every example app starts, signs in, reaches its protected pages and signs out, over plain HTTP, the way
// a browser would (form posts, cookies, Fetch Metadata headers). With redis-server installed, two Express
// instances share one Redis: a session started on one is known, and ended, on the other.
import { readFileSync } from 'node:fs';
import { exportKey, generateKey } from '../../src/entries/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { DEMO, startExample, type Framework, type RunningExample } from './start-example.js';

const SESSION = '__Host-latchkey.session';
const REFRESH = '__Secure-latchkey.refresh';

/** A browser-like client: keeps cookies (by name; paths checked where it matters) and never follows redirects. */
class Client {
  readonly cookies = new Map<string, { value: string; attributes: string }>();
  constructor(readonly base: string) {}

  async request(method: string, path: string, init: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<globalThis.Response> {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', ...init.headers };
    if (method !== 'GET') headers.origin ??= this.base;
    const cookie = [...this.cookies]
      .filter(([, c]) => this.pathOf(c.attributes) === '/' || path.startsWith(this.pathOf(c.attributes)))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attributes.join(';') });
    }
    return res;
  }

  private pathOf(attributes: string): string {
    return /path=([^;]+)/i.exec(attributes)?.[1]?.trim() ?? '/';
  }

  signIn(password: string = DEMO.password): Promise<globalThis.Response> {
    return this.request('POST', '/login', { form: { username: DEMO.username, password } });
  }
}

/** Where a redirect points, as path and query. */
function location(res: globalThis.Response): string | null {
  const value = res.headers.get('location');
  if (value === null) return null;
  const url = new URL(value, 'http://localhost');
  return url.pathname + url.search;
}

describe.each<Framework>(['express', 'fastify', 'koa', 'hono', 'nestjs'])('the %s example', (framework) => {
  let app: RunningExample;
  beforeAll(async () => {
    app = await startExample(framework);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('prints its URL and the demo credentials at start', () => {
    expect(app.output()).toContain(`listening on ${app.url}`);
    expect(app.output()).toContain(`"${DEMO.username}"`);
    expect(app.output()).toContain(`"${DEMO.password}"`);
  });

  it('signs in through the form, shows the protected pages, and signs out', async () => {
    const client = new Client(app.url);
    const stranger = await client.request('GET', '/account');
    expect(stranger.status).toBe(303);
    expect(location(stranger)).toBe('/login');
    expect(await (await client.request('GET', '/login')).text()).toContain('<form method="post" action="/login">');

    const wrong = await client.signIn('not-the-password');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong username or password');
    expect(client.cookies.size).toBe(0);

    const signedIn = await client.signIn();
    expect(signedIn.status).toBe(303);
    expect(location(signedIn)).toBe('/account');
    expect(client.cookies.get(SESSION)?.attributes).toMatch(/HttpOnly/i);
    expect(client.cookies.get(SESSION)?.attributes).toMatch(/Secure/i);
    expect(client.cookies.get(REFRESH)?.attributes).toMatch(/Path=\/auth\/refresh/i);

    const account = await client.request('GET', '/account');
    expect(account.status).toBe(200);
    expect(account.headers.get('cache-control')).toBe('no-store');
    expect(await account.text()).toContain(`Signed in as ${DEMO.username}`);
    const devices = await (await client.request('GET', '/devices')).text();
    expect(devices).toContain('<span id="device-count">1</span>');

    // the SPA's calls: refresh from the cookie, then the API with the Bearer token
    const refreshed = await client.request('POST', '/auth/refresh');
    expect(refreshed.status).toBe(200);
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    const me = await client.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await me.json()).toMatchObject({ name: DEMO.username, via: 'bearer' });

    const sessionCookie = client.cookies.get(SESSION)!;
    const signedOut = await client.request('POST', '/logout');
    expect(signedOut.status).toBe(303);
    expect(location(signedOut)).toBe('/login?signed_out=1');
    expect(client.cookies.size).toBe(0);
    const old = new Client(app.url);
    old.cookies.set(SESSION, sessionCookie); // a copy kept from before sign-out no longer opens anything
    expect(location(await old.request('GET', '/account'))).toBe('/login');
    expect((await client.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });

  it('serves the SPA page on latchkey/client: the built dist/client.js as a same-origin module script', async () => {
    const client = new Client(app.url);
    const page = await (await client.request('GET', '/app')).text();
    expect(page).toContain('<script type="module" src="/app.js"></script>');
    const appJS = await client.request('GET', '/app.js');
    expect(appJS.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await appJS.text()).toContain("import { createClient } from '/latchkey-client.js';");
    const served = await client.request('GET', '/latchkey-client.js');
    expect(served.headers.get('content-type')).toMatch(/^text\/javascript/);
    const built = readFileSync(new URL('../../dist/client.js', import.meta.url), 'utf8').replace(/\/\/# sourceMappingURL=\S*/g, '');
    expect(await served.text()).toBe(built);
  });

  it('"sign out other devices" ends the other sessions and keeps this one', async () => {
    const [laptop, phone] = [new Client(app.url), new Client(app.url)];
    await laptop.signIn();
    await phone.signIn();
    const before = await (await laptop.request('GET', '/devices')).text();
    const count = Number(/id="device-count">(\d+)/.exec(before)?.[1]);
    expect(count).toBeGreaterThanOrEqual(2);
    const ended = await laptop.request('POST', '/devices/sign-out-others');
    expect(location(ended)).toBe(`/devices?ended=${count - 1}`);
    expect(await (await laptop.request('GET', '/devices')).text()).toContain('<span id="device-count">1</span>');
    expect(location(await phone.request('GET', '/account'))).toBe('/login');
    expect((await phone.request('POST', '/auth/refresh')).status).toBe(401);
  });

  it('refuses cross-site sign-out and sign-in forms with 403, and clears no cookie', async () => {
    const client = new Client(app.url);
    await client.signIn();
    const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:1' };
    for (const path of ['/auth/logout', '/logout']) {
      // with the cookie (a SameSite=None deployment) and without it (what a browser sends under SameSite=Lax)
      const withCookie = await client.request('POST', path, { headers: crossSite });
      const withoutCookie = await fetch(`${app.url}${path}`, { method: 'POST', headers: crossSite, redirect: 'manual' });
      for (const res of [withCookie, withoutCookie]) {
        expect(res.status, path).toBe(403);
        expect(res.headers.getSetCookie(), path).toEqual([]);
      }
    }
    const login = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: DEMO.username, password: DEMO.password }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(403);
    expect(login.headers.getSetCookie()).toEqual([]);
    expect((await client.request('GET', '/account')).status).toBe(200);
  });
});

describe('the nestjs example', () => {
  let app: RunningExample;
  beforeAll(async () => {
    app = await startExample('nestjs');
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers a cross-site sign-in form, and cross-site sign-outs, with 403 csrf_rejected as JSON, never a 500', async () => {
    const crossSite = { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' };
    const login = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { ...crossSite, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: DEMO.username, password: DEMO.password }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(403);
    expect(login.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await login.json()).toEqual({ error: 'csrf_rejected' });
    for (const path of ['/logout', '/auth/logout']) {
      const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: crossSite, redirect: 'manual' });
      expect(res.status, path).toBe(403);
      expect(await res.json(), path).toEqual({ error: 'csrf_rejected' });
    }
  });

  it('answers the API without credentials with 401 and the Bearer challenge, and a garbage cookie with 401, never a 500', async () => {
    const missing = await fetch(`${app.url}/api/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
    expect(await missing.json()).toEqual({ error: 'credentials_missing' });
    const garbage = await fetch(`${app.url}/api/me`, { headers: { cookie: `${SESSION}=${'%'.repeat(5000)}` } });
    expect(garbage.status).toBe(401);
    const page = await fetch(`${app.url}/account`, { headers: { cookie: `${SESSION}=x.y` }, redirect: 'manual' });
    expect(page.status).toBe(303);
  });
});

describe.skipIf(!redisAvailable)('the Express example on Redis (REDIS_URL)', () => {
  let redis: RedisServer;
  let first: RunningExample;
  let second: RunningExample;
  beforeAll(async () => {
    redis = await startRedis();
    const { jwk } = await exportKey(await generateKey('EdDSA'));
    const env = { REDIS_URL: redis.url, LATCHKEY_KEYS_JWK: JSON.stringify(jwk) };
    [first, second] = await Promise.all([startExample('express', env), startExample('express', env)]);
  });
  afterAll(async () => {
    await Promise.allSettled([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it('says it uses Redis', () => {
    expect(first.output()).toContain(`store: redis at 127.0.0.1:${redis.port}`);
  });

  it('two instances sharing one Redis and key set serve the same sessions, and sign-out on one ends them on both', async () => {
    const onFirst = new Client(first.url);
    expect((await onFirst.signIn()).status).toBe(303);
    const onSecond = new Client(second.url);
    for (const [name, cookie] of onFirst.cookies) onSecond.cookies.set(name, cookie);

    expect(await (await onSecond.request('GET', '/account')).text()).toContain(`Signed in as ${DEMO.username}`);
    const refreshed = await onSecond.request('POST', '/auth/refresh');
    expect(refreshed.status).toBe(200);
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    expect((await onFirst.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);

    expect((await onSecond.request('POST', '/logout')).status).toBe(303);
    expect(location(await onFirst.request('GET', '/account'))).toBe('/login');
    expect((await onFirst.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });
});

describe.skipIf(!postgresAvailable)('the Express example on PostgreSQL (DATABASE_URL)', () => {
  let pg: PostgresServer;
  let first: RunningExample;
  let second: RunningExample;
  beforeAll(async () => {
    pg = await startPostgres();
    const { jwk } = await exportKey(await generateKey('EdDSA'));
    const env = { DATABASE_URL: pg.url, LATCHKEY_KEYS_JWK: JSON.stringify(jwk) };
    // both create the table at once on an empty database: the advisory lock keeps that safe
    [first, second] = await Promise.all([startExample('express', env), startExample('express', env)]);
  });
  afterAll(async () => {
    await Promise.allSettled([first?.stop(), second?.stop()]);
    pg?.stop();
  });

  it('two instances sharing one database serve the same sessions, and sign-out on one ends them on both', async () => {
    expect(first.output()).toContain(`store: postgres at 127.0.0.1:${pg.port}/postgres`);
    const onFirst = new Client(first.url);
    expect((await onFirst.signIn()).status).toBe(303);
    const onSecond = new Client(second.url);
    for (const [name, cookie] of onFirst.cookies) onSecond.cookies.set(name, cookie);
    expect(await (await onSecond.request('GET', '/account')).text()).toContain(`Signed in as ${DEMO.username}`);
    const refreshed = await onSecond.request('POST', '/auth/refresh');
    expect(refreshed.status).toBe(200);
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    expect((await onFirst.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
    expect((await onSecond.request('POST', '/logout')).status).toBe(303);
    expect(location(await onFirst.request('GET', '/account'))).toBe('/login');
    expect((await onFirst.request('GET', '/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(401);
  });
});

describe('the Express example with LATCHKEY_TRUSTED_ORIGINS', () => {
  const trusted = 'http://127.0.0.1:4999';
  let app: RunningExample;
  beforeAll(async () => {
    app = await startExample('express', { LATCHKEY_TRUSTED_ORIGINS: `${trusted}, http://127.0.0.1:5000` });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lets a trusted origin post with the cookies and still refuses any other cross-site origin', async () => {
    const client = new Client(app.url);
    await client.signIn();
    const refused = await client.request('POST', '/auth/refresh', { headers: { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:5001' } });
    expect(refused.status).toBe(403);
    const allowed = await client.request('POST', '/auth/refresh', { headers: { 'sec-fetch-site': 'cross-site', origin: trusted } });
    expect(allowed.status).toBe(200);
    const signedOut = await client.request('POST', '/logout', { headers: { 'sec-fetch-site': 'cross-site', origin: trusted } });
    expect(location(signedOut)).toBe('/login?signed_out=1');
    expect(client.cookies.size).toBe(0);
  });
});
