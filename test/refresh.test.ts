import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type AuthEvent, type Duration } from '../src/entries/index.js';
import { AUDIENCE, authFailure, cookieRequest, cookieValue, DAY, ISSUER, MINUTE, SECOND, spyStore, testClock } from './support/core.js';

const REFRESH_COOKIE = '__Secure-latchkey.refresh';
const SESSION_COOKIE = '__Host-latchkey.session';

async function setup(options: { refreshTtl?: Duration; reuseGrace?: Duration; absoluteTimeout?: Duration; idleTimeout?: Duration | false; secret?: string } = {}) {
  const clock = testClock();
  const events: AuthEvent[] = [];
  const store = spyStore(clock.now);
  const auth = createAuth({
    keys: [await generateKey('EdDSA')],
    issuer: ISSUER,
    audience: AUDIENCE,
    now: clock.now,
    store,
    onEvent: (event) => void events.push(event),
    accessToken: { ttl: '5m' },
    refreshToken: {
      ttl: options.refreshTtl ?? '30d',
      reuseGrace: options.reuseGrace ?? '10s',
      ...(options.secret === undefined ? {} : { secret: options.secret }),
    },
    session: { idleTimeout: options.idleTimeout ?? false, absoluteTimeout: options.absoluteTimeout ?? '90d' },
  });
  return { auth, clock, events, store };
}

const generation = (token: string): number => Number(token.split('.')[1]);

describe('refresh rotation', () => {
  it('rotates on every use: each refresh returns a new refresh token of the next generation and a fresh access token', async () => {
    const { auth, clock } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    expect(generation(first.refreshToken)).toBe(0);
    let token = first.refreshToken;
    const seen = new Set([token]);
    for (let i = 1; i <= 3; i++) {
      clock.advance(MINUTE);
      const next = await auth.refresh({ refreshToken: token });
      expect(generation(next.refreshToken)).toBe(i);
      expect(seen.has(next.refreshToken)).toBe(false);
      seen.add(next.refreshToken);
      expect(next.session.id).toBe(first.session.id);
      await expect(auth.verifyAccessToken(next.accessToken)).resolves.toMatchObject({ sid: first.session.id });
      expect(next.expiresIn).toBe(300);
      token = next.refreshToken;
    }
  });

  it('reads the refresh token from its cookie and sets the rotated one, scoped to the refresh path', async () => {
    const { auth } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    expect(cookieValue(first.setCookies, REFRESH_COOKIE)).toBe(first.refreshToken);
    const next = await auth.refresh(cookieRequest(REFRESH_COOKIE, first.refreshToken, 'POST'));
    expect(next.setCookies).toHaveLength(1);
    expect(cookieValue(next.setCookies, REFRESH_COOKIE)).toBe(next.refreshToken);
    expect(next.setCookies[0]).toMatch(/Path=\/auth\/refresh/);
    expect(next.setCookies[0]).toMatch(/HttpOnly/);
  });

  it('answers credentials_missing when no refresh cookie is sent', async () => {
    const { auth } = await setup();
    const error = await authFailure(auth.refresh({ method: 'POST', headers: {} }));
    expect(error).toMatchObject({ code: 'credentials_missing', status: 401 });
  });

  it('refuses a cross-site cookie refresh (CSRF) without rotating', async () => {
    const { auth } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const request = { method: 'POST', headers: { cookie: `${REFRESH_COOKIE}=${first.refreshToken}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } };
    expect((await authFailure(auth.refresh(request))).code).toBe('csrf_rejected');
    expect(generation((await auth.refresh({ refreshToken: first.refreshToken })).refreshToken)).toBe(1);
  });

  it('within the grace window the previous token returns the same new token (a second tab, a retry)', async () => {
    const { auth, clock } = await setup({ reuseGrace: '10s' });
    const first = await auth.signIn({ userId: 'u1' });
    const a = await auth.refresh({ refreshToken: first.refreshToken });
    clock.advance(9 * SECOND);
    const b = await auth.refresh({ refreshToken: first.refreshToken });
    expect(b.refreshToken).toBe(a.refreshToken);
    await expect(auth.refresh({ refreshToken: a.refreshToken })).resolves.toMatchObject({ session: { id: first.session.id } });
  });

  it('20 concurrent refreshes of the same token converge on ONE new refresh token and the session stays alive', async () => {
    const { auth, events } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.refresh({ refreshToken: first.refreshToken })));
    const tokens = new Set(results.map((r) => r.refreshToken));
    expect(tokens.size).toBe(1);
    const [winner] = [...tokens];
    expect(generation(winner!)).toBe(1);
    for (const result of results) {
      // a caller that lost the race never receives a cookie-clearing header
      expect(cookieValue(result.setCookies, REFRESH_COOKIE)).toBe(winner);
    }
    expect(events.filter((e) => e.type === 'refresh')).toHaveLength(1);
    expect(events.some((e) => e.type === 'refresh_reused')).toBe(false);
    await expect(auth.authenticate(cookieRequest(SESSION_COOKIE, first.sessionToken))).resolves.toMatchObject({ userId: 'u1' });
    expect(generation((await auth.refresh({ refreshToken: winner! })).refreshToken)).toBe(2);
  });

  it('20 concurrent refreshes through cookies converge the same way', async () => {
    const { auth } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.refresh(cookieRequest(REFRESH_COOKIE, first.refreshToken, 'POST'))));
    expect(new Set(results.map((r) => cookieValue(r.setCookies, REFRESH_COOKIE))).size).toBe(1);
  });
});

describe('reuse detection', () => {
  it('the previous generation after the grace window is a retry (a fresh token, no event); the newest it replaced, presented later, is theft', async () => {
    const { auth, clock, events } = await setup({ reuseGrace: '10s' });
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    clock.advance(11 * SECOND);
    // the answer carrying `second` was lost: the client retries with what it holds, 11 s later
    const retried = await auth.refresh({ refreshToken: first.refreshToken });
    expect(retried.refreshToken).not.toBe(second.refreshToken);
    expect(events.some((event) => event.type === 'refresh_reused')).toBe(false);
    // whoever holds the replaced `second` (a thief who took it) is caught at its next refresh
    const error = await authFailure(auth.refresh({ refreshToken: second.refreshToken }));
    expect(error).toMatchObject({ code: 'refresh_reused', status: 401 });
    expect(error.setCookies.some((line) => line.startsWith(`${REFRESH_COOKIE}=;`))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'refresh_reused', userId: 'u1', sessionId: first.session.id, generation: 1, currentGeneration: 2 });
    // the whole session is gone: the thief's and the victim's credentials alike
    expect((await authFailure(auth.refresh({ refreshToken: retried.refreshToken }))).code).toBe('session_invalid');
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, first.sessionToken)))).code).toBe('session_invalid');
    await expect(auth.sessions.list('u1')).resolves.toEqual([]);
  });

  it('a generation older than the last one used is theft at any time', async () => {
    const { auth, clock, events } = await setup({ reuseGrace: '10s' });
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    clock.advance(11 * SECOND);
    await auth.refresh({ refreshToken: second.refreshToken });
    clock.advance(10 * 60 * SECOND);
    const error = await authFailure(auth.refresh({ refreshToken: first.refreshToken }));
    expect(error).toMatchObject({ code: 'refresh_reused', status: 401 });
    expect(events.at(-1)).toMatchObject({ type: 'refresh_reused', generation: 0, currentGeneration: 2 });
    await expect(auth.sessions.list('u1')).resolves.toEqual([]);
  });

  it('replaying generation N-2 revokes the session even within the grace window', async () => {
    const { auth, events } = await setup({ reuseGrace: '10s' });
    const first = await auth.signIn({ userId: 'u1' });
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    await auth.refresh({ refreshToken: second.refreshToken });
    expect((await authFailure(auth.refresh({ refreshToken: first.refreshToken }))).code).toBe('refresh_reused');
    expect(events.at(-1)).toMatchObject({ type: 'refresh_reused', generation: 0, currentGeneration: 2 });
    await expect(auth.sessions.get(first.session.id)).resolves.toBeNull();
  });

  it('detects replay of any generation ever issued, long after', async () => {
    const { auth, clock } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const issued = [first.refreshToken];
    for (let i = 0; i < 10; i++) {
      clock.advance(MINUTE);
      issued.push((await auth.refresh({ refreshToken: issued.at(-1)! })).refreshToken);
    }
    clock.advance(DAY);
    expect((await authFailure(auth.refresh({ refreshToken: issued[3]! }))).code).toBe('refresh_reused');
  });

  it('a forged token with the right session id but a wrong secret is refused with token_invalid and leaves the session alive', async () => {
    const { auth, events } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const [id] = first.refreshToken.split('.');
    for (const forged of [`${id}.0.${'A'.repeat(43)}`, `${id}.0.${first.sessionToken.split('.')[1]}`]) {
      expect((await authFailure(auth.refresh({ refreshToken: forged }))).code).toBe('token_invalid');
    }
    // a forged "earlier generation" after rotation must not be able to trigger revocation either
    const second = await auth.refresh({ refreshToken: first.refreshToken });
    expect((await authFailure(auth.refresh({ refreshToken: `${id}.0.${'B'.repeat(43)}` }))).code).toBe('token_invalid');
    expect(events.some((e) => e.type === 'refresh_reused')).toBe(false);
    await expect(auth.refresh({ refreshToken: second.refreshToken })).resolves.toMatchObject({ session: { id: first.session.id } });
  });

  it('a token claiming a future generation is refused with token_invalid and leaves the session alive', async () => {
    const { auth } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    const [id, , secret] = first.refreshToken.split('.');
    for (const g of [1, 2, 999999999]) {
      const error = await authFailure(auth.refresh({ refreshToken: `${id}.${g}.${secret}` }));
      expect(error.code).toBe('token_invalid');
      expect(error.setCookies).toEqual([]);
    }
    await expect(auth.refresh({ refreshToken: first.refreshToken })).resolves.toMatchObject({ session: { id: first.session.id } });
  });

  it('a refresh token of one session cannot be replayed against another session', async () => {
    const { auth } = await setup();
    const a = await auth.signIn({ userId: 'u1' });
    const b = await auth.signIn({ userId: 'u2' });
    const [, g, secret] = a.refreshToken.split('.');
    expect((await authFailure(auth.refresh({ refreshToken: `${b.session.id}.${g}.${secret}` }))).code).toBe('token_invalid');
    await expect(auth.refresh({ refreshToken: b.refreshToken })).resolves.toBeTruthy();
  });
});

describe('refresh lifetimes', () => {
  it('refuses a refresh token past refreshToken.ttl', async () => {
    const { auth, clock } = await setup({ refreshTtl: '1d' });
    const first = await auth.signIn({ userId: 'u1' });
    clock.advance(DAY - MINUTE);
    const next = await auth.refresh({ refreshToken: first.refreshToken }); // rotation renews the ttl
    clock.advance(DAY - MINUTE);
    const still = await auth.refresh({ refreshToken: next.refreshToken });
    clock.advance(DAY + MINUTE);
    const error = await authFailure(auth.refresh({ refreshToken: still.refreshToken }));
    expect(error.status).toBe(401);
    expect(['token_expired', 'session_invalid', 'session_expired']).toContain(error.code);
  });

  it('refuses a refresh past the absolute session timeout, however recently it rotated', async () => {
    const { auth, clock } = await setup({ absoluteTimeout: '2d', refreshTtl: '1d' });
    const first = await auth.signIn({ userId: 'u1' });
    let token = first.refreshToken;
    for (let i = 0; i < 3; i++) {
      clock.advance(12 * 60 * MINUTE);
      token = (await auth.refresh({ refreshToken: token })).refreshToken;
    }
    clock.advance(12 * 60 * MINUTE + SECOND);
    const error = await authFailure(auth.refresh({ refreshToken: token }));
    expect(['session_expired', 'session_invalid']).toContain(error.code);
  });

  it('the refresh cookie Max-Age never outlives the session', async () => {
    const { auth } = await setup({ absoluteTimeout: '2d', refreshTtl: '30d' });
    const first = await auth.signIn({ userId: 'u1' });
    const line = first.setCookies.find((l) => l.startsWith(`${REFRESH_COOKIE}=`))!;
    expect(line).toMatch(/Max-Age=172800(;|$)/);
  });

  it('refuses a refresh after the idle timeout, and a refresh within it keeps the session alive', async () => {
    const { auth, clock } = await setup({ idleTimeout: '30m', absoluteTimeout: '30d' });
    const first = await auth.signIn({ userId: 'u1' });
    clock.advance(25 * MINUTE);
    const next = await auth.refresh({ refreshToken: first.refreshToken });
    clock.advance(25 * MINUTE);
    const again = await auth.refresh({ refreshToken: next.refreshToken });
    clock.advance(31 * MINUTE);
    expect((await authFailure(auth.refresh({ refreshToken: again.refreshToken }))).status).toBe(401);
  });

  it('refuses refresh after signOut with session_invalid and clears the cookies', async () => {
    const { auth } = await setup();
    const first = await auth.signIn({ userId: 'u1' });
    await auth.signOut(first.session.id);
    const error = await authFailure(auth.refresh({ refreshToken: first.refreshToken }));
    expect(error.code).toBe('session_invalid');
    expect(error.setCookies).toHaveLength(2);
  });

  it('with refreshToken.secret, refresh tokens survive a signing-key rotation', async () => {
    const clock = testClock();
    const secret = 'r'.repeat(32);
    const options = { issuer: ISSUER, audience: AUDIENCE, now: clock.now, refreshToken: { secret } };
    const auth = createAuth({ ...options, keys: [await generateKey('EdDSA')] });
    const first = await auth.signIn({ userId: 'u1' });
    await auth.setKeys([await generateKey('ES256')]);
    await expect(auth.refresh({ refreshToken: first.refreshToken })).resolves.toMatchObject({ session: { id: first.session.id } });
  });
});

describe('a failure on our side during refresh', () => {
  it.each([
    ['one-call advanceRefresh (memory store)', false],
    ['get + compare-and-set update (a store without advanceRefresh)', true],
  ])('a claims hook that fails once does not count as a use: the retry 10 s later rotates, no theft alarm (%s)', async (_name, plain) => {
    const clock = testClock();
    const events: AuthEvent[] = [];
    let failNext = false;
    const auth = createAuth({
      keys: [await generateKey('EdDSA')],
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
      ...(plain ? { store: spyStore(clock.now) } : {}),
      onEvent: (event) => void events.push(event),
      accessToken: {
        claims: async () => {
          if (failNext) {
            failNext = false;
            throw new Error('roles database timed out');
          }
          return { role: 'reader' };
        },
      },
    });
    const first = await auth.signIn({ userId: 'u1' });
    failNext = true;
    await expect(auth.refresh({ refreshToken: first.refreshToken })).rejects.toThrow('roles database timed out');
    clock.advance(10 * SECOND + 1);
    const next = await auth.refresh({ refreshToken: first.refreshToken });
    expect(generation(next.refreshToken)).toBe(1);
    await expect(auth.verifyAccessToken(next.accessToken)).resolves.toMatchObject({ role: 'reader', sid: first.session.id });
    expect(events.map((e) => e.type)).toEqual(['sign_in', 'refresh']);
  });

  it('the claims hook sees the session as it will be after the rotation', async () => {
    const clock = testClock();
    const seen: number[] = [];
    const auth = createAuth({
      keys: [await generateKey('EdDSA')],
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
      session: { idleTimeout: '30m' },
      accessToken: { claims: (session) => (seen.push(session.lastSeenAt), {}) },
    });
    const first = await auth.signIn({ userId: 'u1' });
    clock.advance(MINUTE);
    await auth.refresh({ refreshToken: first.refreshToken });
    expect(seen).toEqual([clock.now() - MINUTE, clock.now()]);
  });
});
