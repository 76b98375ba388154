import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore, type AuthEvent, type Duration } from '../src/entries/index.js';
import { AUDIENCE, authFailure, bearerRequest, cookieRequest, cookieValue, DAY, HOUR, ISSUER, MINUTE, SECOND, spyStore, testClock } from './support/core.js';

const SESSION_COOKIE = '__Host-latchkey.session';

function cookieAuth(options: { idleTimeout?: Duration | false; absoluteTimeout?: Duration; touchEvery?: Duration } = {}) {
  const clock = testClock();
  const store = spyStore(clock.now);
  const auth = createAuth({ store, now: clock.now, session: options });
  return { clock, store, auth };
}

async function signedIn(auth: ReturnType<typeof cookieAuth>['auth'], userId = 'u1', data: Record<string, unknown> = {}) {
  const result = await auth.signIn({ userId, data });
  return { ...result, request: cookieRequest(SESSION_COOKIE, result.sessionToken) };
}

describe('session cookies', () => {
  it('signIn sets a session cookie whose value authenticates a Node header record', async () => {
    const { auth, clock } = cookieAuth();
    const { setCookies, sessionToken, session } = await auth.signIn({ userId: 'u1', data: { role: 'admin' } });
    expect(cookieValue(setCookies, SESSION_COOKIE)).toBe(sessionToken);
    const ctx = await auth.authenticate(cookieRequest(SESSION_COOKIE, sessionToken));
    expect(ctx).toEqual({ via: 'cookie', userId: 'u1', sessionId: session.id, data: { role: 'admin' }, authTime: clock.now() });
  });

  it('authenticates a web Headers object too', async () => {
    const { auth } = cookieAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    const headers = new Headers({ Cookie: `theme=dark; ${SESSION_COOKIE}=${sessionToken}; other=1` });
    await expect(auth.authenticate({ method: 'GET', headers })).resolves.toMatchObject({ userId: 'u1', via: 'cookie' });
  });

  it('authenticates when Node gives the cookie header as an array', async () => {
    const { auth } = cookieAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    const ctx = await auth.authenticate({ method: 'GET', headers: { cookie: ['theme=dark', `${SESSION_COOKIE}=${sessionToken}`] } });
    expect(ctx?.userId).toBe('u1');
  });

  it('returns null, and touches no store, when no credential is presented', async () => {
    const { auth, store } = cookieAuth();
    await expect(auth.authenticate({ method: 'GET', headers: {} })).resolves.toBeNull();
    await expect(auth.authenticate({ method: 'GET', headers: { cookie: 'theme=dark' } })).resolves.toBeNull();
    expect(store.calls).toEqual({});
  });

  it('refuses a cookie with the right id but a wrong secret, and asks the browser to clear it', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    const error = await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, `${session.id}.${'A'.repeat(43)}`)));
    expect(error.code).toBe('session_invalid');
    expect(error.setCookies.some((line) => line.startsWith(`${SESSION_COOKIE}=;`) && /Max-Age=0/.test(line))).toBe(true);
  });

  it('session fixation: a cookie value invented before sign-in is never adopted', async () => {
    const { auth } = cookieAuth();
    const planted = `${'F'.repeat(22)}.${'x'.repeat(43)}`;
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, planted)))).code).toBe('session_invalid');
    const result = await auth.signIn({ userId: 'victim' });
    expect(result.sessionToken).not.toBe(planted);
    expect(result.session.id).not.toBe('F'.repeat(22));
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, planted)))).code).toBe('session_invalid');
    await expect(auth.sessions.get('F'.repeat(22))).resolves.toBeNull();
  });

  it('every signIn creates a new session, even for the same user', async () => {
    const { auth } = cookieAuth();
    const a = await auth.signIn({ userId: 'u1' });
    const b = await auth.signIn({ userId: 'u1' });
    expect(a.session.id).not.toBe(b.session.id);
    expect((await auth.sessions.list('u1')).length).toBe(2);
  });

  it('refuses bad sign-in input with a TypeError', async () => {
    const { auth } = cookieAuth();
    await expect(auth.signIn({ userId: '' })).rejects.toThrow(/needs userId as a non-empty string/);
    await expect(auth.signIn({ userId: 'u', data: [] as never })).rejects.toThrow(/session data must be a JSON object/);
    await expect(auth.signIn({ userId: 'u', data: { big: 'x'.repeat(70_000) } })).rejects.toThrow(/keep it under/);
  });

  it('counts the 64 KB session data limit in UTF-8 bytes, as stored: 60,000 euro signs (180 KB) are refused', async () => {
    const { auth } = cookieAuth();
    await expect(auth.signIn({ userId: 'u', data: { note: '€'.repeat(60_000) } })).rejects.toThrow(/session data is 180\d{3} bytes of UTF-8; keep it under 65536/);
    await expect(auth.signIn({ userId: 'u', data: { note: '€'.repeat(21_000) } })).resolves.toBeTruthy();
    const { session } = await auth.signIn({ userId: 'u' });
    await expect(auth.sessions.update(session.id, { note: '€'.repeat(22_000) })).rejects.toThrow(/bytes of UTF-8/);
    await expect(auth.elevate(session.id, { data: { note: '€'.repeat(22_000) } })).rejects.toThrow(/bytes of UTF-8/);
  });

  it('refuses user ids that are not well-formed UTF-16 (lone surrogates), which would collide once stored as UTF-8', async () => {
    const { auth } = cookieAuth();
    for (const userId of ['victim\uDC00', 'victim\uD800', '\uD800victim', 'a\uDC00\uD800b']) {
      await expect(auth.signIn({ userId })).rejects.toThrow(/well-formed/);
      await expect(auth.sessions.list(userId)).rejects.toThrow(/well-formed/);
      await expect(auth.signOutEverywhere(userId)).rejects.toThrow(/well-formed/);
    }
    // well-formed ids, astral characters and U+FFFD included, stay distinct and usable
    for (const userId of ['victim\uFFFD', 'victim😀', 'виктор']) {
      const { session } = await auth.signIn({ userId });
      await expect(auth.sessions.list(userId)).resolves.toMatchObject([{ id: session.id, userId }]);
    }
  });

  it('keeps only short device meta strings', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1', meta: { userAgent: 'x'.repeat(5000), ip: '10.0.0.1', label: 42 as never } });
    expect(session.meta.userAgent).toHaveLength(512);
    expect(session.meta).toEqual({ userAgent: 'x'.repeat(512), ip: '10.0.0.1' });
  });
});

describe('timeouts', () => {
  it('a session expires after the idle timeout without activity', async () => {
    const { auth, clock } = cookieAuth({ idleTimeout: '30m', absoluteTimeout: '1d', touchEvery: '1m' });
    const { request } = await signedIn(auth);
    clock.advance(29 * MINUTE);
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
    clock.advance(29 * MINUTE); // 29 minutes after the last activity: still alive
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
    clock.advance(31 * MINUTE);
    const error = await authFailure(auth.authenticate(request));
    expect(['session_expired', 'session_invalid']).toContain(error.code);
    expect(error.status).toBe(401);
  });

  it('activity never extends a session past the absolute timeout', async () => {
    const { auth, clock } = cookieAuth({ idleTimeout: '30m', absoluteTimeout: '2h', touchEvery: '1m' });
    const { request } = await signedIn(auth);
    for (let elapsed = 0; elapsed < 2 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
    }
    clock.set(clock.now() + 20 * MINUTE + SECOND); // just past 2h since sign-in
    const error = await authFailure(auth.authenticate(request));
    expect(['session_expired', 'session_invalid']).toContain(error.code);
  });

  it('idleTimeout: false leaves only the absolute timeout', async () => {
    const { auth, clock } = cookieAuth({ idleTimeout: false, absoluteTimeout: '7d' });
    const { request } = await signedIn(auth);
    clock.advance(6 * DAY);
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
    clock.advance(DAY);
    await authFailure(auth.authenticate(request));
  });

  it('an expired record is refused even by a store that still returns it', async () => {
    const clock = testClock();
    const lenient = spyStore(() => 0); // a store whose clock never moves: it never expires anything
    const auth = createAuth({ store: lenient, now: clock.now, session: { idleTimeout: '10m' } });
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    clock.advance(11 * MINUTE);
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, sessionToken)))).code).toBe('session_expired');
  });

  it('a memoryStore passed to createAuth follows the injected clock', async () => {
    const clock = testClock(Date.UTC(2001, 0, 1)); // far from the real clock, in the past
    const auth = createAuth({ store: memoryStore(), now: clock.now, session: { idleTimeout: '10m' } });
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    await expect(auth.authenticate(cookieRequest(SESSION_COOKIE, sessionToken))).resolves.toMatchObject({ userId: 'u1' });
    await expect(auth.sessions.list('u1')).resolves.toHaveLength(1);
  });

  it('touch is throttled to once per touchEvery, and a touch keeps the session alive', async () => {
    const { auth, clock, store } = cookieAuth({ idleTimeout: '10m', touchEvery: '1m' });
    const { request } = await signedIn(auth);
    for (let i = 0; i < 5; i++) {
      clock.advance(10 * SECOND);
      await auth.authenticate(request);
    }
    expect(store.calls.touch ?? 0).toBe(0); // 50 s of reads: no writes
    clock.advance(20 * SECOND);
    await auth.authenticate(request);
    expect(store.calls.touch).toBe(1);
    await auth.authenticate(request);
    expect(store.calls.touch).toBe(1);
    clock.advance(9 * MINUTE + 30 * SECOND); // 10.5 min after sign-in, 9.5 after the touch
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
  });
});

describe('sign-out', () => {
  it('signOut ends the session: its cookie no longer authenticates', async () => {
    const { auth } = cookieAuth();
    const { request, session } = await signedIn(auth);
    await expect(auth.signOut(session.id)).resolves.toBe(true);
    await expect(auth.signOut(session.id)).resolves.toBe(false);
    expect((await authFailure(auth.authenticate(request))).code).toBe('session_invalid');
    await expect(auth.signOut('not an id')).resolves.toBe(false);
  });

  it('signOut is one store call without an event hook; with one, it reads the record to name the user', async () => {
    const { auth, store } = cookieAuth();
    const { session } = await signedIn(auth);
    const getsBefore = store.calls.get ?? 0;
    await auth.signOut(session.id);
    expect(store.calls.get ?? 0).toBe(getsBefore);
    expect(store.calls.delete).toBe(1);

    const clock = testClock();
    const audited = spyStore(clock.now);
    const events: AuthEvent[] = [];
    const withHook = createAuth({ store: audited, now: clock.now, onEvent: (e) => void events.push(e) });
    const other = await withHook.signIn({ userId: 'u9' });
    await withHook.signOut(other.session.id);
    expect(events.at(-1)).toMatchObject({ type: 'sign_out', userId: 'u9', sessionId: other.session.id });
  });

  it('signOutEverywhere ends every session of the user except the one kept, and returns the count', async () => {
    const { auth } = cookieAuth();
    const a = await signedIn(auth);
    const b = await signedIn(auth);
    const c = await signedIn(auth);
    const other = await signedIn(auth, 'u2');
    await expect(auth.signOutEverywhere('u1', { except: b.session.id })).resolves.toBe(2);
    await authFailure(auth.authenticate(a.request));
    await authFailure(auth.authenticate(c.request));
    await expect(auth.authenticate(b.request)).resolves.toMatchObject({ userId: 'u1' });
    await expect(auth.authenticate(other.request)).resolves.toMatchObject({ userId: 'u2' });
    await expect(auth.signOutEverywhere('u1')).resolves.toBe(1);
    await expect(auth.signOutEverywhere('nobody')).resolves.toBe(0);
  });
});

describe('sessions API', () => {
  it('list returns the live sessions of a user, oldest first, without secret material', async () => {
    const { auth, clock } = cookieAuth();
    const first = await auth.signIn({ userId: 'u1', meta: { label: 'laptop' } });
    clock.advance(SECOND);
    const second = await auth.signIn({ userId: 'u1', meta: { label: 'phone' } });
    await auth.signIn({ userId: 'u2' });
    const list = await auth.sessions.list('u1');
    expect(list.map((s) => s.id)).toEqual([first.session.id, second.session.id]);
    expect(list.map((s) => s.meta.label)).toEqual(['laptop', 'phone']);
    for (const info of list) {
      expect(info).not.toHaveProperty('secretHash');
      expect(info).not.toHaveProperty('refresh');
    }
  });

  it('list leaves out sessions past their idle timeout', async () => {
    const { auth, clock } = cookieAuth({ idleTimeout: '10m' });
    await auth.signIn({ userId: 'u1' });
    clock.advance(11 * MINUTE);
    await expect(auth.sessions.list('u1')).resolves.toEqual([]);
  });

  it('get returns one live session or null', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1', data: { n: 1 } });
    await expect(auth.sessions.get(session.id)).resolves.toMatchObject({ id: session.id, data: { n: 1 } });
    await expect(auth.sessions.get('A'.repeat(22))).resolves.toBeNull();
    await expect(auth.sessions.get('../etc/passwd')).resolves.toBeNull();
  });

  it('update merges a partial object or applies a function, and authenticate sees the new data', async () => {
    const { auth } = cookieAuth();
    const { session, request } = await signedIn(auth, 'u1', { a: 1 });
    await expect(auth.sessions.update(session.id, { b: 2 })).resolves.toMatchObject({ data: { a: 1, b: 2 } });
    await auth.sessions.update(session.id, (data) => ({ ...data, a: 10 }));
    await expect(auth.authenticate(request)).resolves.toMatchObject({ data: { a: 10, b: 2 } });
  });

  it('update of a missing session fails with session_invalid and creates nothing', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    await auth.signOut(session.id);
    expect((await authFailure(auth.sessions.update(session.id, { x: 1 }))).code).toBe('session_invalid');
    await expect(auth.sessions.get(session.id)).resolves.toBeNull();
  });

  it('lost-update safety: 20 concurrent updates each adding a distinct key all survive', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1', data: {} });
    await Promise.all(Array.from({ length: 20 }, (_, i) => auth.sessions.update(session.id, { [`k${i}`]: i })));
    const data = (await auth.sessions.get(session.id))!.data;
    expect(Object.keys(data).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
  });

  it('a touch that lands while an update is in flight is not rolled back by the update', async () => {
    const { auth, clock } = cookieAuth({ idleTimeout: '10m', touchEvery: '1m' });
    const { session, request } = await signedIn(auth);
    clock.advance(5 * MINUTE);
    await auth.sessions.update(session.id, async (data) => {
      await auth.authenticate(request); // activity recorded while the update computes
      return { ...data, x: 1 };
    });
    clock.advance(6 * MINUTE); // 11 min after sign-in, 6 after the activity
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1', data: { x: 1 } });
  });

  it('lost-update safety holds for function updates (read-modify-write counters)', async () => {
    const { auth } = cookieAuth();
    const { session } = await auth.signIn({ userId: 'u1', data: { count: 0 } });
    await Promise.all(Array.from({ length: 20 }, () => auth.sessions.update(session.id, (d) => ({ ...d, count: (d.count as number) + 1 }))));
    await expect(auth.sessions.get(session.id)).resolves.toMatchObject({ data: { count: 20 } });
  });
});

describe('elevate', () => {
  it('re-issues the session under a new id and kills the old one', async () => {
    const { auth } = cookieAuth();
    const old = await signedIn(auth, 'u1', { role: 'user' });
    const next = await auth.elevate(old.session.id, { data: { role: 'admin' } });
    expect(next.session.id).not.toBe(old.session.id);
    expect(next.sessionToken).not.toBe(old.sessionToken);
    expect(cookieValue(next.setCookies, SESSION_COOKIE)).toBe(next.sessionToken);
    expect((await authFailure(auth.authenticate(old.request))).code).toBe('session_invalid');
    await expect(auth.authenticate(cookieRequest(SESSION_COOKIE, next.sessionToken))).resolves.toMatchObject({ data: { role: 'admin' }, userId: 'u1' });
    expect((await authFailure(auth.elevate(old.session.id))).code).toBe('session_invalid');
  });

  it('keeps the data when none is given and moves the auth time forward', async () => {
    const { auth, clock } = cookieAuth();
    const old = await signedIn(auth, 'u1', { role: 'user' });
    clock.advance(5 * MINUTE);
    const next = await auth.elevate(old.session.id);
    expect(next.session.data).toEqual({ role: 'user' });
    expect(next.session.authTime).toBe(old.session.authTime + 5 * MINUTE);
  });

  it('with tokens, access tokens of the old id die under checkSession and new tokens work', async () => {
    const clock = testClock();
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, accessToken: { checkSession: true } });
    const old = await auth.signIn({ userId: 'u1' });
    const next = await auth.elevate(old.session.id);
    expect((await authFailure(auth.authenticate(bearerRequest(old.accessToken)))).code).toBe('session_invalid');
    await expect(auth.authenticate(bearerRequest(next.accessToken))).resolves.toMatchObject({ sessionId: next.session.id });
    expect((await authFailure(auth.refresh({ refreshToken: old.refreshToken }))).status).toBe(401);
  });
});

describe('secrets at rest', () => {
  it('the store never holds the session secret or the refresh secret, and its hash is not a credential', async () => {
    const clock = testClock();
    const store = spyStore(clock.now);
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, now: clock.now, store });
    const first = await auth.signIn({ userId: 'u1' });
    const rotated = await auth.refresh({ refreshToken: first.refreshToken });
    const dump = store.writes.join('\n');
    const sessionSecret = first.sessionToken.split('.')[1]!;
    expect(dump).not.toContain(sessionSecret);
    for (const token of [first.refreshToken, rotated.refreshToken]) expect(dump).not.toContain(token.split('.')[2]!);
    expect(dump).not.toContain(first.accessToken);

    const record = (await store.get(first.session.id))!;
    expect(record.secretHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const fromHash = `${record.id}.${record.secretHash}`;
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, fromHash)))).code).toBe('session_invalid');
    // the genuine cookie still works after the failed attempt
    await expect(auth.authenticate(cookieRequest(SESSION_COOKIE, first.sessionToken))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('session tokens carry a 256-bit secret', async () => {
    const { auth } = cookieAuth();
    const { sessionToken } = await auth.signIn({ userId: 'u1' });
    const secret = sessionToken.split('.')[1]!;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });
});
