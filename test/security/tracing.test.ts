// Tracing channels are a log a subscriber keeps: every payload published on latchkey:* must carry ids
// only, never a credential, a stored hash or session data, whatever the request and however it ends.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { memoryStore, type SessionStore } from '../../src/entries/index.js';
import { payloadText, record, type Recorder } from '../support/tracing.js';
import { brokenStore, cookieValue, FRAMEWORKS, login, send, setup, TRUSTED_ORIGIN, withApp } from './support.js';

let rec: Recorder;
beforeEach(() => {
  rec = record();
});
afterEach(() => rec.unsubscribe());

/** The secret parts of a credential: a session token's secret, a refresh token's secret, every part of a JWT. */
function secretParts(value: string): string[] {
  const parts = value.split('.');
  if (parts.length === 2) return [parts[1]!, value]; // <sessionId>.<secret>: the id is an identifier
  if (parts.length === 3 && /^\d+$/.test(parts[1]!)) return [parts[2]!, value]; // <sessionId>.<generation>.<secret>
  return [...parts.filter((p) => p.length >= 16), value];
}

/** Fails when any secret occurs in any payload; returns how many payloads were scanned. */
function expectNoSecrets(secrets: Iterable<string>): number {
  const text = payloadText(rec.contexts);
  for (const secret of secrets) expect(text.includes(secret), `a tracing payload contains ${secret.slice(0, 6)}…`).toBe(false);
  return rec.contexts.size;
}

/** The stored hashes of a session (what a store dump holds). */
async function hashesOf(store: SessionStore, sessionId: string): Promise<string[]> {
  const stored = await store.get(sessionId);
  return stored ? [stored.secretHash, ...(stored.previousSecretHash ? [stored.previousSecretHash] : [])] : [];
}

const flip = (s: string): string => `${s.slice(0, 30)}${s[30] === 'A' ? 'B' : 'A'}${s.slice(31)}`;

describe('tracing payloads carry no secret', () => {
  for (const framework of FRAMEWORKS) test(`${framework}: cookie, bearer, refresh, a replayed refresh token, tampered credentials and sign-out publish no token, secret, hash or cookie value`, async () => {
    const { auth, clock, store } = await setup({ accessToken: { checkSession: true } });
    const secrets = new Set<string>();
    await withApp(framework, auth, async (app) => {
      const user = await login(app, auth);
      const sessionToken = user.sessionCookie.split('=')[1]!;
      const firstRefresh = user.refreshCookie.split('=')[1]!;
      for (const value of [sessionToken, firstRefresh, user.accessToken]) for (const s of secretParts(value)) secrets.add(s);
      for (const s of await hashesOf(store, user.sessionId)) secrets.add(s);
      const same = { 'sec-fetch-site': 'same-origin', origin: TRUSTED_ORIGIN };
      expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(200);
      let refreshCookie = user.refreshCookie;
      for (let i = 0; i < 2; i++) {
        clock.advance(60_000); // past reuseGrace: each refresh is a rotation
        const rotated = await send(app, 'POST', '/auth/refresh', { cookie: refreshCookie, ...same });
        expect(rotated.status).toBe(200);
        const next = cookieValue(rotated.setCookies, auth.cookies.refresh)!;
        for (const s of [...secretParts(next), ...secretParts((rotated.json as { accessToken: string }).accessToken)]) secrets.add(s);
        refreshCookie = `${auth.cookies.refresh}=${next}`;
      }
      for (const value of [flip(sessionToken), flip(user.accessToken)]) for (const s of secretParts(value)) secrets.add(s);
      expect((await send(app, 'GET', '/me', { cookie: `${auth.cookies.session}=${flip(sessionToken)}` })).status).toBe(401);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${flip(user.accessToken)}` })).status).toBe(401);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${sessionToken}` })).status).toBe(401);
      const second = await login(app, auth, '51');
      for (const s of [...secretParts(second.sessionCookie.split('=')[1]!), ...secretParts(second.refreshCookie.split('=')[1]!), ...secretParts(second.accessToken)]) secrets.add(s);
      for (const s of await hashesOf(store, second.sessionId)) secrets.add(s);
      // the theft alarm: the first generation after two rotations
      const replay = await send(app, 'POST', '/auth/refresh', { cookie: user.refreshCookie, ...same });
      expect(replay.status).toBe(401);
      expect(replay.json).toEqual({ error: 'refresh_reused' });
      expect((await send(app, 'POST', '/auth/logout', { cookie: second.sessionCookie, ...same })).status).toBe(204);
    });
    expect(rec.events.some((e) => e.channel === 'refresh' && e.event === 'error' && e.context.code === 'refresh_reused')).toBe(true);
    expect(new Set(rec.events.map((e) => e.channel))).toEqual(new Set(['authenticate', 'sign-in', 'refresh', 'sign-out', 'store']));
    expect(expectNoSecrets(secrets)).toBeGreaterThan(15);
  });

  test('session data, sign-out of a cookie value passed as an id, and a store outage publish no secret either', async () => {
    const broken = { on: false };
    const { auth, clock } = await setup({ store: brokenStore(memoryStore({ now: () => clock.now() }), broken) });
    const marker = 'data-marker-Zq81vX0pLmNc4Rt7';
    const user = await auth.signIn({ userId: '50', data: { note: marker } });
    await auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${user.sessionToken}` } });
    await auth.sessions.update(user.session.id, { note: `${marker}-2` });
    await auth.signOut(user.sessionToken); // an app bug: the cookie value where an id belongs
    broken.on = true;
    await expect(auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${user.sessionToken}` } })).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(auth.refresh({ refreshToken: user.refreshToken })).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(rec.events.some((e) => e.channel === 'store' && e.event === 'error')).toBe(true);
    expect(expectNoSecrets([marker, ...secretParts(user.sessionToken), ...secretParts(user.refreshToken), ...secretParts(user.accessToken)])).toBeGreaterThan(5);
  });

  test('the scan finds a secret when a payload does carry one', async () => {
    const { auth } = await setup();
    const user = await auth.signIn({ userId: '50' });
    const context = [...rec.contexts][0]!;
    context.error = new Error(`leaked ${user.refreshToken}`);
    expect(() => expectNoSecrets(secretParts(user.refreshToken))).toThrow(/tracing payload contains/);
  });
});
