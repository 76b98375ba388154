// Denial of service by oversized or repeated input: every case ends in a 4xx (or 200 on a public
// route), never a 5xx or a dropped connection, and the signed-in user keeps working.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Auth } from '../../src/entries/index.js';
import { FRAMEWORKS, login, send, setup, startApp, type App, type Login } from './support.js';

const b64 = (value: string): string => Buffer.from(value).toString('base64url');

describe.each(FRAMEWORKS)('oversized and repeated headers through %s', (framework) => {
  let auth: Auth<true>;
  let app: App;
  let user: Login;

  const expect4xx = async (method: string, path: string, headers: OutgoingHttpHeaders, label: string) => {
    const res = await send(app, method, path, headers, { fresh: true });
    expect(res.status, `${label}: ${res.status} ${res.text.slice(0, 120)}`).toBeGreaterThanOrEqual(400);
    expect(res.status, label).toBeLessThan(500);
    return res;
  };

  beforeAll(async () => {
    ({ auth } = await setup());
    app = await startApp(framework, auth);
    user = await login(app, auth);
  });
  afterAll(async () => {
    // the legitimate session survived everything above
    expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
    expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(200);
    await app.close();
  });

  test('100 Cookie pairs: junk alone is refused with 401; junk around the real cookie still authenticates', async () => {
    const junk = Array.from({ length: 100 }, (_, i) => `c${i}=${'v'.repeat(40)}`);
    await expect4xx('GET', '/me', { cookie: junk.join('; ') }, '100 junk pairs');
    const mixed = [...junk.slice(0, 50), user.sessionCookie, ...junk.slice(50)].join('; ');
    expect((await send(app, 'GET', '/me', { cookie: mixed })).status).toBe(200);
    const fakes = Array.from({ length: 100 }, () => `${auth.cookies.session}=${'A'.repeat(22)}.${'B'.repeat(43)}`).join('; ');
    await expect4xx('GET', '/me', { cookie: fakes }, '100 copies of our cookie name');
  });

  test('a 16 KB Cookie header is refused with a 4xx (431 or 401), and a 12 KB one reads as no credential', async () => {
    await expect4xx('GET', '/me', { cookie: `${auth.cookies.session}=${'A'.repeat(16 * 1024)}` }, '16 KB cookie');
    await expect4xx('GET', '/public', { cookie: `x=${'A'.repeat(16 * 1024)}` }, '16 KB cookie, public route');
    const big = await send(app, 'GET', '/me', { cookie: `${user.sessionCookie}; pad=${'A'.repeat(12 * 1024)}` });
    expect([200, 401]).toContain(big.status);
  });

  test('200 repeated Authorization headers are refused with 401, never 500', async () => {
    await expect4xx('GET', '/me', { authorization: Array.from({ length: 200 }, (_, i) => `Bearer garbage${i}`) as unknown as string }, '200 Authorization');
    await expect4xx('GET', '/me', { authorization: Array.from({ length: 200 }, () => 'Bearer a.b.c') as unknown as string }, '200 Authorization a.b.c');
  });

  test('200 repeated Cookie headers and 200 repeated Origin / Sec-Fetch-Site headers on POST end in 4xx', async () => {
    await expect4xx('GET', '/me', { cookie: Array.from({ length: 200 }, (_, i) => `k${i}=v`) }, '200 Cookie headers');
    await expect4xx('POST', '/write', { cookie: user.sessionCookie, origin: Array.from({ length: 200 }, () => 'https://evil.test') as unknown as string }, '200 Origin');
    await expect4xx('POST', '/write', { cookie: user.sessionCookie, 'sec-fetch-site': Array.from({ length: 200 }, () => 'cross-site') }, '200 Sec-Fetch-Site');
  });

  test('an oversized bearer token (just over 8 KB) and a 15 KB Authorization value are refused with 4xx', async () => {
    const huge = `${b64('{"alg":"EdDSA"}')}.${'A'.repeat(8200)}.${'A'.repeat(86)}`;
    const res = await expect4xx('GET', '/me', { authorization: `Bearer ${huge}` }, '8 KB token');
    expect(res.status).toBe(401);
    await expect4xx('GET', '/me', { authorization: `Bearer ${'x'.repeat(15 * 1024)}` }, '15 KB Authorization');
  });

  test('a token whose header is deeply nested JSON, or not JSON at all, is refused with 401', async () => {
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    for (const header of [deep, `{"alg":${deep}}`, '{"alg":"EdDSA"', 'null', '"x"', '{"__proto__":{"alg":"none"}}', '\u0000']) {
      const token = `${b64(header)}.${b64('{"sub":"1"}')}.${'A'.repeat(86)}`;
      const res = await expect4xx('GET', '/me', { authorization: `Bearer ${token}` }, header.slice(0, 20));
      expect(res.status).toBe(401);
    }
  });

  test('a refresh cookie that is huge, repeated, or shaped like a token with an enormous generation is refused with 4xx', async () => {
    const id = user.sessionId;
    for (const value of [`${id}.${'9'.repeat(5000)}.${'A'.repeat(43)}`, `${id}.99999999999999999999.${'A'.repeat(43)}`, `${id}.1e9.${'A'.repeat(43)}`, 'x'.repeat(10_000)]) {
      await expect4xx('POST', '/auth/refresh', { cookie: `${auth.cookies.refresh}=${value}` }, value.slice(0, 40));
    }
    const repeated = Array.from({ length: 100 }, () => `${auth.cookies.refresh}=${id}.0.${'A'.repeat(43)}`).join('; ');
    await expect4xx('POST', '/auth/refresh', { cookie: repeated }, '100 refresh cookies');
  });

  test('a request with 500 extra headers is answered (public 200, protected 401), never 5xx', async () => {
    const headers: OutgoingHttpHeaders = {};
    for (let i = 0; i < 500; i++) headers[`x-h${i}`] = 'v';
    expect((await send(app, 'GET', '/public', headers)).status).toBe(200);
    await expect4xx('GET', '/me', headers, '500 headers');
  });
});
