// Refresh-token theft and replay, end to end: POST /auth/refresh with the refresh cookie.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Auth, AuthEvent } from '../../src/entries/index.js';
import { FRAMEWORKS, SECOND, cookieValue, login, send, setup, startApp, type App, type Clock, type Login } from './support.js';

describe.each(FRAMEWORKS)('refresh-token replay through %s', (framework) => {
  let auth: Auth<true>;
  let time: Clock;
  let events: AuthEvent[];
  let app: App;
  let user: Login;

  const refresh = (cookie: string) => send(app, 'POST', '/auth/refresh', { cookie });
  const nextCookie = (res: { setCookies: string[] }) => `${auth.cookies.refresh}=${cookieValue(res.setCookies, auth.cookies.refresh)}`;

  beforeEach(async () => {
    ({ auth, clock: time, events } = await setup({ refreshToken: { reuseGrace: '10s' } }));
    app = await startApp(framework, auth);
    user = await login(app, auth);
  });
  afterEach(() => app.close());

  test('replaying a refresh token older than the last one used revokes the session and emits refresh_reused', async () => {
    const first = await refresh(user.refreshCookie);
    expect(first.status).toBe(200);
    time.advance(11 * SECOND);
    const second = await refresh(nextCookie(first)); // generation 1 used: generation 0 is now older than the last used
    expect(second.status).toBe(200);
    const current = nextCookie(second);
    const replay = await refresh(user.refreshCookie); // the thief (or the victim) presents generation 0 again
    expect(replay.status).toBe(401);
    expect(replay.json).toEqual({ error: 'refresh_reused' });
    expect(cookieValue(replay.setCookies, auth.cookies.refresh)).toBe('');
    expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([
      expect.objectContaining({ type: 'refresh_reused', userId: '50', sessionId: user.sessionId, generation: 0, currentGeneration: 2 }),
    ]);
    // the whole session is gone: the newest refresh token, the session cookie and (checkSession aside) the record
    expect((await refresh(current)).status).toBe(401);
    expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(401);
    expect(await auth.sessions.get(user.sessionId)).toBeNull();
  });

  test('replaying any earlier generation (not only the previous one) is detected after many rotations', async () => {
    const cookies = [user.refreshCookie];
    for (let i = 0; i < 5; i++) {
      time.advance(20 * SECOND);
      const res = await refresh(cookies.at(-1)!);
      expect(res.status).toBe(200);
      cookies.push(nextCookie(res));
    }
    time.advance(20 * SECOND);
    const replay = await refresh(cookies[2]!);
    expect(replay.json).toEqual({ error: 'refresh_reused' });
    expect(events.find((e) => e.type === 'refresh_reused')).toMatchObject({ generation: 2, currentGeneration: 5 });
    expect((await refresh(cookies[5]!)).status).toBe(401);
  });

  test('within the grace window the previous token gets the same new token (concurrent tabs are not theft)', async () => {
    const a = await refresh(user.refreshCookie);
    time.advance(5 * SECOND);
    const b = await refresh(user.refreshCookie);
    expect(b.status).toBe(200);
    expect(nextCookie(b)).toBe(nextCookie(a));
    expect(b.setCookies.some((line) => /Max-Age=0/.test(line))).toBe(false);
    expect(events.some((e) => e.type === 'refresh_reused')).toBe(false);
    expect((await refresh(nextCookie(a))).status).toBe(200);
  });

  test('a forged refresh token (real session id, wrong secret, any generation) does not revoke the session', async () => {
    const [id, , secret] = cookieValue(user.setCookies, auth.cookies.refresh)!.split('.') as [string, string, string];
    const ok = await refresh(user.refreshCookie);
    const current = nextCookie(ok);
    time.advance(60 * SECOND); // outside grace: a genuine generation-0 replay would now revoke
    const forged = [
      `${id}.0.${'A'.repeat(43)}`, // earlier generation, guessed secret
      `${id}.0.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, // earlier generation, one character off
      `${id}.1.${secret}`, // current generation, the old secret
      `${id}.9.${secret}`, // a generation from the future
      `${id}.00.${secret}`,
      `${id}.-1.${secret}`,
    ];
    for (const value of forged) {
      const res = await refresh(`${auth.cookies.refresh}=${value}`);
      expect(res.status, value).toBe(401);
      expect(res.json.error).toBe('token_invalid');
    }
    expect(events.some((e) => e.type === 'refresh_reused')).toBe(false);
    expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
    expect((await refresh(current)).status).toBe(200);
  });

  test('a refresh token is refused after sign-out and after the session\'s idle timeout', async () => {
    const out = await send(app, 'POST', '/auth/logout', { cookie: `${user.sessionCookie}; ${user.refreshCookie}` });
    expect(out.status).toBe(204);
    expect((await refresh(user.refreshCookie)).status).toBe(401);
    const again = await login(app, auth);
    time.advance(31 * 60 * SECOND); // default idle timeout 30m
    const idle = await refresh(again.refreshCookie);
    expect(idle.status).toBe(401);
    // the store may already have forgotten the idle record (session_invalid) or latchkey finds it expired
    expect(idle.json.error).toMatch(/^session_(expired|invalid)$/);
  });
});
