// Session lifecycle guarantees a reviewer checks against OWASP / ASVS V3: cookie attributes and
// prefixes, idle and absolute timeouts, sign-out invalidation, re-issue on privilege change.
import { describe, expect, test } from 'vitest';
import { createAuth } from '../../src/entries/index.js';
import { FRAMEWORKS, MINUTE, DAY, SECOND, login, send, setup, startApp } from './support.js';

describe.each(FRAMEWORKS)('session lifecycle through %s', (framework) => {
  test('the session cookie is __Host- (Secure, Path=/, no Domain) and the refresh cookie __Secure- scoped to the refresh path; both HttpOnly, SameSite=Lax', async () => {
    const { auth } = await setup();
    const app = await startApp(framework, auth);
    try {
      const { setCookies } = await login(app, auth);
      const session = setCookies.find((line) => line.startsWith('__Host-latchkey.session='))!;
      const refresh = setCookies.find((line) => line.startsWith('__Secure-latchkey.refresh='))!;
      expect(session).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect(session).not.toMatch(/Domain=/i);
      expect(refresh).toMatch(/; Path=\/auth\/refresh; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await app.close();
    }
  });

  test('idle timeout and absolute timeout each end a cookie session', async () => {
    const { auth, clock } = await setup({ session: { idleTimeout: '30m', absoluteTimeout: '1d', touchEvery: '1m' } });
    const app = await startApp(framework, auth);
    try {
      const idle = await login(app, auth);
      clock.advance(29 * MINUTE);
      expect((await send(app, 'GET', '/me', { cookie: idle.sessionCookie })).status).toBe(200); // activity moves the idle deadline
      clock.advance(29 * MINUTE);
      expect((await send(app, 'GET', '/me', { cookie: idle.sessionCookie })).status).toBe(200);
      clock.advance(31 * MINUTE);
      expect((await send(app, 'GET', '/me', { cookie: idle.sessionCookie })).status).toBe(401);

      const busy = await login(app, auth);
      for (let elapsed = 0; elapsed < DAY - 20 * MINUTE; elapsed += 20 * MINUTE) {
        clock.advance(20 * MINUTE);
        expect((await send(app, 'GET', '/me', { cookie: busy.sessionCookie })).status).toBe(200);
      }
      clock.advance(20 * MINUTE); // past the absolute timeout, however active
      const res = await send(app, 'GET', '/me', { cookie: busy.sessionCookie });
      expect(res.status).toBe(401);
      expect(res.json.error).toMatch(/^session_(expired|invalid)$/);
    } finally {
      await app.close();
    }
  });

  test('sign-out ends the cookie session and the refresh token at once, and (with checkSession) the access token', async () => {
    const { auth } = await setup({ accessToken: { checkSession: true } });
    const app = await startApp(framework, auth);
    try {
      const user = await login(app, auth);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(200);
      const out = await send(app, 'POST', '/auth/logout', { cookie: `${user.sessionCookie}; ${user.refreshCookie}` });
      expect(out.status).toBe(204);
      expect(out.setCookies.every((line) => /Max-Age=0/.test(line))).toBe(true);
      expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(401);
      expect((await send(app, 'POST', '/auth/refresh', { cookie: user.refreshCookie })).status).toBe(401);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('privilege change and unsafe configuration', () => {
  test('a user can list their sessions and end all others (after a password change); the kept one still works', async () => {
    const { auth } = await setup();
    const [keep, other1, other2] = [await auth.signIn({ userId: '50' }), await auth.signIn({ userId: '50' }), await auth.signIn({ userId: '50' })];
    const bystander = await auth.signIn({ userId: '51' });
    expect((await auth.sessions.list('50')).map((s) => s.id).sort()).toEqual([keep, other1, other2].map((s) => s.session.id).sort());
    expect(await auth.signOutEverywhere('50', { except: keep.session.id })).toBe(2);
    const cookie = (token: string) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
    for (const ended of [other1, other2]) {
      await expect(auth.authenticate(cookie(ended.sessionToken))).rejects.toMatchObject({ code: 'session_invalid' });
      await expect(auth.refresh({ refreshToken: ended.refreshToken })).rejects.toMatchObject({ status: 401 });
    }
    expect(await auth.authenticate(cookie(keep.sessionToken))).toMatchObject({ userId: '50' });
    expect(await auth.authenticate(cookie(bystander.sessionToken))).toMatchObject({ userId: '51' });
    expect((await auth.sessions.list('50')).map((s) => s.id)).toEqual([keep.session.id]);
  });

  test('elevate re-issues credentials under a new session id; the old cookie and refresh token die', async () => {
    const { auth, clock } = await setup();
    const first = await auth.signIn({ userId: '50', data: { role: 'user' } });
    const elevated = await auth.elevate(first.session.id, { data: { role: 'admin' } });
    expect(elevated.session.id).not.toBe(first.session.id);
    const cookie = (token: string) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
    await expect(auth.authenticate(cookie(first.sessionToken))).rejects.toMatchObject({ code: 'session_invalid' });
    clock.advance(SECOND);
    await expect(auth.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({ status: 401 });
    expect(await auth.authenticate(cookie(elevated.sessionToken))).toMatchObject({ userId: '50', data: { role: 'admin' } });
  });

  test('unsafe cookie and CSRF settings are refused at createAuth (SameSite=None without Secure, a wildcard trusted origin)', () => {
    expect(() => createAuth({ cookies: { sameSite: 'none', secure: false } })).toThrow(/secure/);
    for (const trustedOrigins of [['*'], ['https://*.example.com'], ['null'], ['https://app.example.com/path']]) {
      expect(() => createAuth({ csrf: { trustedOrigins } }), JSON.stringify(trustedOrigins)).toThrow(TypeError);
    }
  });
});
