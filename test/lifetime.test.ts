import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore, type SessionStore } from '../src/entries/index.js';
import { AUDIENCE, authFailure, bearerRequest, cookieRequest, DAY, HOUR, ISSUER, MINUTE, spyStore, testClock } from './support/core.js';

const SESSION_COOKIE = '__Host-latchkey.session';
const REFRESH_COOKIE = '__Secure-latchkey.refresh';
const key = generateKey('Ed25519');

/** An Auth whose default session is 30 minutes idle / 1 day absolute, and that allows "remember me" up to 7 days idle / 90 days. */
async function rememberMeAuth(options: { store?: (now: () => number) => SessionStore; checkSession?: boolean } = {}) {
  const clock = testClock();
  const auth = createAuth({
    keys: [await key],
    issuer: ISSUER,
    audience: AUDIENCE,
    store: (options.store ?? ((now) => memoryStore({ now })))(clock.now),
    now: clock.now,
    accessToken: { checkSession: options.checkSession ?? false },
    session: { idleTimeout: '30m', absoluteTimeout: '1d', maxIdleTimeout: '7d', maxAbsoluteTimeout: '90d' },
  });
  return { auth, clock };
}

const maxAge = (line: string | undefined): string | undefined => /;\s*Max-Age=(\d+)/i.exec(line ?? '')?.[1];
const line = (setCookies: readonly string[], name: string): string | undefined => setCookies.find((l) => l.startsWith(`${name}=`));

describe('signIn({ lifetime })', () => {
  it('"remember me": the session lives by its own idle and absolute timeouts, and its cookies say so', async () => {
    const { auth, clock } = await rememberMeAuth();
    const r = await auth.signIn({ userId: 'u1', lifetime: { idle: '2d', absolute: '90d' } });
    expect(r.session.absoluteExpiresAt).toBe(clock.now() + 90 * DAY);
    expect(r.session.idleExpiresAt).toBe(clock.now() + 2 * DAY);
    expect(maxAge(line(r.setCookies, SESSION_COOKIE))).toBe(String(90 * 24 * 3600));
    clock.advance(DAY + HOUR); // past the Auth's default idle and absolute timeouts
    expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken))).toMatchObject({ userId: 'u1' });
    clock.advance(2 * DAY + 1); // idle for longer than its own idle timeout
    expect(await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken)))).toMatchObject({ status: 401, code: expect.stringMatching(/^session_(expired|invalid)$/) });
  });

  it('a shorter idle timeout than the default ends the session sooner; a session without lifetime keeps the defaults', async () => {
    const { auth, clock } = await rememberMeAuth();
    const short = await auth.signIn({ userId: 'u1', lifetime: { idle: '10m' } });
    const plain = await auth.signIn({ userId: 'u2' });
    expect(plain.session.idleExpiresAt).toBe(clock.now() + 30 * MINUTE);
    expect(plain.session.absoluteExpiresAt).toBe(clock.now() + DAY);
    clock.advance(10 * MINUTE + 1);
    expect(await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, short.sessionToken)))).toMatchObject({ status: 401, code: expect.stringMatching(/^session_(expired|invalid)$/) });
    expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, plain.sessionToken))).toMatchObject({ userId: 'u2' });
  });

  for (const [label, store] of [
    ['a store that rotates in one call (advanceRefresh)', (now: () => number) => memoryStore({ now })],
    ['a store without advanceRefresh (get + compare-and-set)', (now: () => number) => spyStore(now)],
  ] as const) {
    it(`refresh and activity keep the session's own idle timeout, on ${label}`, async () => {
      const { auth, clock } = await rememberMeAuth({ store, checkSession: true });
      const r = await auth.signIn({ userId: 'u1', lifetime: { idle: '2h', absolute: '30d' } });
      clock.advance(90 * MINUTE);
      const next = await auth.refresh({ refreshToken: r.refreshToken });
      expect(next.session.idleExpiresAt).toBe(clock.now() + 2 * HOUR);
      clock.advance(100 * MINUTE); // idle past the default 30 minutes, within its own 2 hours
      const later = await auth.refresh({ refreshToken: next.refreshToken });
      expect(await auth.authenticate(bearerRequest(later.accessToken))).toMatchObject({ userId: 'u1' }); // checkSession reads the record
      clock.advance(100 * MINUTE);
      expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken))).toMatchObject({ userId: 'u1' });
      expect((await auth.sessions.get(r.session.id))?.idleExpiresAt).toBe(clock.now() + 2 * HOUR); // the touch used it too
    });
  }

  it('"until the browser closes": persistent: false sets both cookies without Max-Age, on sign-in, refresh and reauthenticate', async () => {
    const { auth } = await rememberMeAuth();
    const r = await auth.signIn({ userId: 'u1', lifetime: { persistent: false } });
    const refreshed = await auth.refresh({ refreshToken: r.refreshToken });
    const again = await auth.reauthenticate(r.session.id);
    for (const setCookies of [r.setCookies, again.setCookies]) {
      expect(line(setCookies, SESSION_COOKIE)).not.toMatch(/Max-Age|Expires/i);
      expect(line(setCookies, REFRESH_COOKIE)).not.toMatch(/Max-Age|Expires/i);
    }
    expect(line(refreshed.setCookies, REFRESH_COOKIE)).not.toMatch(/Max-Age|Expires/i);
    expect(line(r.setCookies, SESSION_COOKIE)).toMatch(/HttpOnly/);
    // the server still ends it at the default absolute timeout, whatever the browser does
    expect(r.session.absoluteExpiresAt - r.session.createdAt).toBe(DAY);
    const persistent = await auth.signIn({ userId: 'u2' });
    expect(maxAge(line(persistent.setCookies, REFRESH_COOKIE))).toBe(String(24 * 3600));
  });

  it('refuses a lifetime beyond the bounds set in createAuth, with a message naming the bound to raise', async () => {
    const { auth } = await rememberMeAuth();
    await expect(auth.signIn({ userId: 'u1', lifetime: { absolute: '91d' } })).rejects.toThrow(/session\.maxAbsoluteTimeout/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { idle: '8d' } })).rejects.toThrow(/session\.maxIdleTimeout/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { idle: '30s' } })).rejects.toThrow(/longer than session\.touchEvery/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { idle: '3d', absolute: '2d' } })).rejects.toThrow(/idle cannot be longer than the absolute lifetime/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { forever: true } as never })).rejects.toThrow(/unknown key forever/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { persistent: 'no' } as never })).rejects.toThrow(/persistent must be true or false/);
    expect(await auth.sessions.list('u1')).toEqual([]);
  });

  it('by default a session may ask for up to 90 days, 30 days idle: the DESIGN example works without configuring bounds', async () => {
    const clock = testClock();
    const auth = createAuth({ now: clock.now });
    const r = await auth.signIn({ userId: 'u1', lifetime: { idle: '2h', absolute: '90d' } });
    expect(r.session.absoluteExpiresAt).toBe(clock.now() + 90 * DAY);
    expect(r.session.idleExpiresAt).toBe(clock.now() + 2 * HOUR);
    await expect(auth.signIn({ userId: 'u1', lifetime: { absolute: '91d' } })).rejects.toThrow(/maxAbsoluteTimeout/);
    await expect(auth.signIn({ userId: 'u1', lifetime: { idle: '31d', absolute: '90d' } })).rejects.toThrow(/maxIdleTimeout/);
    const strict = createAuth({ now: clock.now, session: { absoluteTimeout: '1d', maxAbsoluteTimeout: '1d' } });
    await expect(strict.signIn({ userId: 'u1', lifetime: { absolute: '2d' } })).rejects.toThrow(/maxAbsoluteTimeout/);
    expect((await strict.signIn({ userId: 'u1', lifetime: { absolute: '12h', idle: '20m' } })).session.absoluteExpiresAt).toBe(clock.now() + 12 * HOUR);
  });

  it('createAuth refuses bounds below the defaults they bound', () => {
    expect(() => createAuth({ session: { absoluteTimeout: '30d', maxAbsoluteTimeout: '1d' } })).toThrow(/maxAbsoluteTimeout cannot be shorter than session\.absoluteTimeout/);
    expect(() => createAuth({ session: { idleTimeout: '30m', maxIdleTimeout: '10m' } })).toThrow(/maxIdleTimeout cannot be shorter than session\.idleTimeout/);
    expect(() => createAuth({ session: { maxLifetime: '1d' } as never })).toThrow(/unknown option session\.maxLifetime/);
  });
});
