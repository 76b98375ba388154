// Header and cookie-attribute injection: nothing an app or a client supplies (user id, session data,
// device meta, cookie names) may reach a Set-Cookie line or any response header.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuth, generateKey, type Auth, type SigningKey } from '../../src/entries/index.js';
import { AUDIENCE, FRAMEWORKS, ISSUER, login, send, setup, startApp, type App } from './support.js';

const HOSTILE = [
  '50; Domain=evil.test; Path=/',
  '50\r\nSet-Cookie: evil=1',
  '50\nX-Injected: 1',
  '50\u0000; SameSite=None',
  '"50"; Max-Age=999999999',
  '50,__Host-latchkey.session=attacker',
  '50\u2028\u2029',
];

/** Exactly what a latchkey Set-Cookie line may look like: our name, a base64url value, fixed attributes. */
function expectCleanSetCookie(line: string, auth: Auth<boolean>): void {
  expect(line).not.toMatch(/[\r\n\0]/);
  const names = `(?:${auth.cookies.session}|${auth.cookies.refresh})`.replace(/\./g, '\\.');
  const value = '[A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]+){0,2}';
  const pattern = new RegExp(`^${names}=${value}; Max-Age=\\d+; (?:Domain=[a-z0-9.-]+; )?Path=/[a-z/]*; HttpOnly(?:; Secure)?; SameSite=(?:Lax|Strict|None)$`);
  expect(line).toMatch(pattern);
}

describe('cookie attribute injection in the core', () => {
  let key: SigningKey;
  beforeAll(async () => {
    key = await generateKey('EdDSA');
  });

  test('hostile user ids, session data and device meta never reach a Set-Cookie line', async () => {
    const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE });
    for (const value of HOSTILE) {
      const result = await auth.signIn({ userId: value, data: { note: value, [value]: value }, meta: { userAgent: value, ip: value, label: value } });
      expect(result.setCookies).toHaveLength(2);
      for (const line of result.setCookies) {
        expectCleanSetCookie(line, auth);
        expect(line).not.toContain('evil');
      }
      const refreshed = await auth.refresh({ refreshToken: result.refreshToken });
      for (const line of refreshed.setCookies) expectCleanSetCookie(line, auth);
      const elevated = await auth.elevate(result.session.id, { data: { role: value } });
      for (const line of elevated.setCookies) expectCleanSetCookie(line, auth);
    }
    for (const line of auth.clearCookies()) expectCleanSetCookie(line, auth);
  });

  test('cookies.name that could break out of the cookie name (;, =, space, CR/LF, quotes, non-ASCII, __ prefixes) is refused at createAuth', () => {
    const bad = ['a;b', 'a=b', 'a b', 'a\r\nSet-Cookie: x', 'a\nb', 'a"b', 'a,b', 'a\u0000', 'é', '', '__Host-x', '__Secure-x', 'a(b)', 'a/b', 'a\tb'];
    for (const name of bad) {
      expect(() => createAuth({ cookies: { name } }), JSON.stringify(name)).toThrow(/cookies\.name/);
    }
    for (const name of ['app', 'my-app', 'app_1', 'a.b']) {
      expect(createAuth({ cookies: { name } }).cookies.session).toBe(`__Host-${name}.session`);
    }
  });

  test('cookies.domain and refreshToken.path that could inject attributes are refused at createAuth', () => {
    for (const domain of ['example.com; Secure', 'example.com\r\nX: 1', 'exa mple.com', 'example.com,evil.test', 'example.com.', 'a..b', '-example.com', '']) {
      expect(() => createAuth({ cookies: { domain } }), JSON.stringify(domain)).toThrow(/cookies\.domain/);
    }
    for (const path of ['/a;Domain=evil.test', '/a\r\nX: 1', '/a b', '/a,b', 'relative', '/a\u0000', '/a\u007f', '/é', '']) {
      expect(() => createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, refreshToken: { path } }), JSON.stringify(path)).toThrow(/refreshToken\.path/);
    }
  });

  test('every cookie-attribute option that createAuth accepts also signs in (no late 500 from the serializer)', async () => {
    for (const path of ['/auth/refresh', '/api/v1/token:refresh', '/a-b_c~d.e', "/a'b"]) {
      const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, refreshToken: { path } });
      expect((await auth.signIn({ userId: 'u' })).setCookies[1]).toContain(`Path=${path};`);
    }
    for (const domain of ['example.com', '.example.com', 'a-b.example.co.uk']) {
      const auth = createAuth({ cookies: { domain } });
      expect((await auth.signIn({ userId: 'u' })).setCookies[0]).toContain(`Domain=${domain};`);
    }
  });
});

describe.each(FRAMEWORKS)('header injection through %s', (framework) => {
  let auth: Auth<true>;
  let app: App;

  beforeAll(async () => {
    ({ auth } = await setup());
    app = await startApp(framework, auth);
  });
  afterAll(() => app.close());

  test('a hostile user id at sign-in reaches no response header; Set-Cookie carries only latchkey\'s two cookies', async () => {
    for (const userId of HOSTILE) {
      const res = await send(app, 'POST', `/login?user=${encodeURIComponent(userId)}`, { 'user-agent': 'ua; Domain=evil.test' });
      expect(res.status).toBe(200);
      expect(res.headers['x-injected']).toBeUndefined();
      expect(res.setCookies).toHaveLength(2);
      for (const line of res.setCookies) expectCleanSetCookie(line, auth);
      for (const [name, value] of Object.entries(res.headers)) {
        expect(`${name}: ${String(value)}`).not.toMatch(/evil|[\r\n]/);
      }
      // the id is data, not markup: it comes back intact through a bearer request
      const me = await send(app, 'GET', '/me', { authorization: `Bearer ${res.json.accessToken}` });
      expect(me.json.userId).toBe(userId);
    }
  });

  test('error responses carry only fixed header values, whatever the credential contained', async () => {
    const probes = [
      { authorization: 'Bearer a"b, error="none' },
      { authorization: 'Bearer x.y.z realm="evil"' },
      { cookie: `${auth.cookies.session}=a"b; ${auth.cookies.session}=c` },
    ];
    for (const headers of probes) {
      const res = await send(app, 'GET', '/me', headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="latchkey"(?:, error="invalid_token", error_description="[a-z_]+")?$/);
    }
  });
});

describe.each(FRAMEWORKS)('login with a logged-in user\'s stale cookie through %s', (framework) => {
  test('the clearing lines for a refused cookie never override the fresh cookies of the same response', async () => {
    const { auth } = await setup();
    const app = await startApp(framework, auth);
    try {
      const stale = `${auth.cookies.session}=${'A'.repeat(22)}.${'B'.repeat(43)}; ${auth.cookies.refresh}=${'A'.repeat(22)}.0.${'B'.repeat(43)}`;
      const res = await send(app, 'POST', '/login', { cookie: stale });
      expect(res.status).toBe(200);
      const last = (name: string) => res.setCookies.filter((line) => line.startsWith(`${name}=`)).at(-1)!;
      expect(last(auth.cookies.session)).not.toMatch(/Max-Age=0/);
      expect(last(auth.cookies.refresh)).not.toMatch(/Max-Age=0/);
      const user = await login(app, auth);
      expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
