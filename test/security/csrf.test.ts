// CSRF against cookie-authenticated unsafe requests, as browsers would send them: POST /write,
// POST /auth/refresh and POST /auth/logout carrying the session (or refresh) cookie.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Auth } from '../../src/entries/index.js';
import { FRAMEWORKS, TRUSTED_ORIGIN, login, send, setup, startApp, type App, type Login } from './support.js';

describe.each(FRAMEWORKS)('CSRF through %s', (framework) => {
  let auth: Auth<true>;
  let app: App;
  let user: Login;

  const write = (headers: OutgoingHttpHeaders) => send(app, 'POST', '/write', { cookie: user.sessionCookie, ...headers });
  const refused = async (headers: OutgoingHttpHeaders) => {
    const res = await write(headers);
    expect(res.status, JSON.stringify(headers)).toBe(403);
    expect(res.json).toEqual({ error: 'csrf_rejected' });
  };
  const allowed = async (headers: OutgoingHttpHeaders) => {
    const res = await write(headers);
    expect(res.status, JSON.stringify(headers)).toBe(200);
    expect(res.json).toEqual({ userId: '50' });
  };

  beforeAll(async () => {
    ({ auth } = await setup());
    app = await startApp(framework, auth);
    user = await login(app, auth);
  });
  afterAll(() => app.close());

  test('no Origin but Sec-Fetch-Site: cross-site is refused', async () => {
    await refused({ 'sec-fetch-site': 'cross-site' });
  });

  test('login CSRF: a cross-site sign-in form is refused with 403 and creates no session', async () => {
    for (const headers of [{ origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.test' }, { origin: 'null' }]) {
      const res = await send(app, 'POST', '/login?user=login-csrf', headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.setCookies.filter((line) => line.startsWith('__'))).toEqual([]);
    }
    await expect(auth.sessions.list('login-csrf')).resolves.toEqual([]);
    expect((await send(app, 'POST', '/login?user=login-csrf', { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  test('Origin: null (sandboxed iframe, data: URL, redirect) is refused', async () => {
    await refused({ origin: 'null' });
    await refused({ origin: 'null', 'sec-fetch-site': 'cross-site' });
  });

  test('look-alike origins https://app.example.com.evil.test and https://evil-app.example.com are refused', async () => {
    for (const origin of ['https://app.example.com.evil.test', 'https://evil-app.example.com', 'https://app.example.com@evil.test', 'http://app.example.com', 'https://app.example.com:8443', 'https://app.example.co']) {
      await refused({ origin, 'sec-fetch-site': 'cross-site' });
      await refused({ origin }); // an older browser that sends Origin but not Sec-Fetch-Site
    }
  });

  test('a sibling subdomain Origin without Sec-Fetch-Site (older browser) is refused unless trusted', async () => {
    await refused({ origin: 'https://evil.example.com' });
    await refused({ origin: 'https://api.example.com' });
  });

  test('Sec-Fetch-Site: same-site passes (the Fetch Metadata policy issue 3 specifies; SECURITY.md lists the sibling-subdomain risk)', async () => {
    await allowed({ origin: 'https://evil.example.com', 'sec-fetch-site': 'same-site' });
  });

  test('an unknown or combined Sec-Fetch-Site value is refused, not treated as same-origin', async () => {
    await refused({ 'sec-fetch-site': 'same-origin, cross-site' });
    await refused({ 'sec-fetch-site': ['cross-site', 'same-origin'] });
    await refused({ 'sec-fetch-site': 'bogus' });
  });

  test('the trusted origin passes, same-site or cross-site', async () => {
    await allowed({ origin: TRUSTED_ORIGIN, 'sec-fetch-site': 'same-site' });
    await allowed({ origin: TRUSTED_ORIGIN, 'sec-fetch-site': 'cross-site' });
    await allowed({ origin: TRUSTED_ORIGIN });
  });

  test('same-origin requests pass (Sec-Fetch-Site: same-origin, or an Origin matching Host)', async () => {
    await allowed({ 'sec-fetch-site': 'same-origin' });
    await allowed({ 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${app.port}` });
    await allowed({ origin: `http://127.0.0.1:${app.port}` });
  });

  test('a request with neither Origin nor Sec-Fetch-Site passes as a non-browser client', async () => {
    await allowed({});
  });

  test('a cross-site GET is not refused (safe methods change nothing)', async () => {
    const res = await send(app, 'GET', '/me', { cookie: user.sessionCookie, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
  });

  test('cross-site refresh and sign-out with cookies are refused and leave the session alive', async () => {
    const evil = { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' };
    const r = await send(app, 'POST', '/auth/refresh', { cookie: user.refreshCookie, ...evil });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: 'csrf_rejected' });
    const o = await send(app, 'POST', '/auth/logout', { cookie: `${user.sessionCookie}; ${user.refreshCookie}`, ...evil });
    expect(o.status).toBe(403);
    expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
    expect((await send(app, 'POST', '/auth/refresh', { cookie: user.refreshCookie })).status).toBe(200);
  });

  test('a bearer-authenticated unsafe request is not subject to the cookie CSRF check (a page cannot attach the header)', async () => {
    const res = await send(app, 'POST', '/write', { authorization: `Bearer ${user.accessToken}`, origin: 'https://other.test', 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
  });
});
