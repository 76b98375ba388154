import { decodeJwt } from 'jose';
import { allowInsecureRequests, protectedResourceRequest, type WWWAuthenticateChallengeError } from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, type AuthEvent, type SessionRecord } from '../src/entries/index.js';
import { errorResponse, requireAuthOptions, requireContext } from '../src/entries/adapter.js';
import { startExpress } from './adapters/apps/express.js';
import { AUDIENCE, authFailure, bearerRequest, cookieRequest, cookieValue, DAY, HOUR, ISSUER, MINUTE, spyStore, testClock } from './support/core.js';

const SESSION_COOKIE = '__Host-latchkey.session';
const key = generateKey('Ed25519');

async function tokenAuth(options: { claims?: () => Record<string, unknown>; checkSession?: boolean } = {}) {
  const clock = testClock();
  const store = spyStore(clock.now);
  const events: AuthEvent[] = [];
  const auth = createAuth({
    keys: [await key],
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    now: clock.now,
    session: { idleTimeout: '30m', absoluteTimeout: '30d', maxIdleTimeout: '1d', maxAbsoluteTimeout: '90d' },
    accessToken: { ...(options.claims ? { claims: options.claims } : {}), checkSession: options.checkSession ?? false },
    onEvent: (event) => void events.push(event),
  });
  return { clock, store, auth, events };
}

const generation = (token: string): number => Number(token.split('.')[1]);

describe('authTime and amr', () => {
  it('every context carries the time of the last real authentication and the methods used, cookie and bearer alike', async () => {
    const { auth, clock } = await tokenAuth();
    const signedInAt = clock.now();
    const r = await auth.signIn({ userId: 'u1', amr: ['pwd', 'otp'] });
    clock.advance(3 * MINUTE);
    const byCookie = await auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken));
    const byBearer = await auth.authenticate(bearerRequest(r.accessToken));
    expect(byCookie).toMatchObject({ via: 'cookie', authTime: signedInAt, amr: ['pwd', 'otp'] });
    expect(byBearer).toMatchObject({ via: 'bearer', authTime: signedInAt, amr: ['pwd', 'otp'] });
    expect(decodeJwt(r.accessToken)).toMatchObject({ auth_time: signedInAt / 1000, amr: ['pwd', 'otp'] });
    expect(r.session.amr).toEqual(['pwd', 'otp']);
  });

  it('a refreshed access token keeps the original auth_time: refreshing is not authenticating', async () => {
    const { auth, clock } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    clock.advance(20 * MINUTE);
    const next = await auth.refresh({ refreshToken: r.refreshToken });
    expect(decodeJwt(next.accessToken).auth_time).toBe(decodeJwt(r.accessToken).auth_time);
    expect(decodeJwt(next.accessToken).iat).toBe(decodeJwt(r.accessToken).iat! + 20 * 60);
  });

  it('refuses malformed amr with a message that says what to pass', async () => {
    const { auth } = await tokenAuth();
    await expect(auth.signIn({ userId: 'u1', amr: 'pwd' as unknown as string[] })).rejects.toThrow(/amr must be a non-empty array.*\['pwd', 'otp'\]/);
    await expect(auth.signIn({ userId: 'u1', amr: ['p w d'] })).rejects.toThrow(TypeError);
  });
});

describe('requireAuth({ maxAge })', () => {
  it('answers a sign-in older than maxAge with 401 reauthentication_required and the RFC 9470 challenge', async () => {
    const { auth, clock } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    const options = requireAuthOptions({ maxAge: '5m' });
    clock.advance(5 * MINUTE);
    await expect(requireContext(await auth.resolve(cookieRequest(SESSION_COOKIE, r.sessionToken)), options)).resolves.toMatchObject({ userId: 'u1' });
    clock.advance(1);
    for (const request of [cookieRequest(SESSION_COOKIE, r.sessionToken), bearerRequest(r.accessToken)]) {
      const failure = await authFailure(requireContext(await auth.resolve(request), options));
      expect(failure).toMatchObject({ code: 'reauthentication_required', status: 401, setCookies: [] });
    }
    const error = await requireContext(await auth.resolve(bearerRequest(r.accessToken)), options).catch((e: unknown) => e);
    const answer = errorResponse(error as Parameters<typeof errorResponse>[0]);
    expect(answer.headers['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", max_age=300');
    expect(answer.body).toEqual({ error: 'reauthentication_required', maxAge: 300 });
  });

  it('checks freshness before the check option, and without maxAge an old sign-in still passes', async () => {
    const { auth, clock } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    clock.advance(10 * MINUTE);
    const resolution = await auth.resolve(bearerRequest(r.accessToken));
    await expect(requireContext(resolution, requireAuthOptions())).resolves.toMatchObject({ userId: 'u1' });
    const failure = await authFailure(requireContext(resolution, requireAuthOptions({ maxAge: 60, check: () => false })));
    expect(failure.code).toBe('reauthentication_required');
  });

  it('a token without auth_time (issued before latchkey set it) is stale for any maxAge', async () => {
    const failure = await authFailure(requireContext({ auth: { via: 'cookie', userId: 'u', sessionId: 's', data: {}, authTime: 0 }, error: null, at: Date.now() }, requireAuthOptions({ maxAge: '1d' })));
    expect(failure.code).toBe('reauthentication_required');
  });

  it('refuses a maxAge that is not a duration of at least one second when the middleware is created', () => {
    expect(() => requireAuthOptions({ maxAge: 'soon' as never })).toThrow(/requireAuth\(\{ maxAge \}\) must be a duration/);
    expect(() => requireAuthOptions({ maxAge: '500ms' })).toThrow(/at least '1s'/);
  });

  it('an independent RFC 6750/9470 client (oauth4webapi) reads the challenge as insufficient_user_authentication with max_age', async () => {
    const { auth, clock } = await tokenAuth();
    const server = await startExpress(auth);
    try {
      const r = await auth.signIn({ userId: 'u1' });
      clock.advance(6 * MINUTE);
      // protectedResourceRequest parses any WWW-Authenticate challenge itself and rejects with it
      const error = await protectedResourceRequest(r.accessToken, 'GET', new URL(`${server.url}/recent`), undefined, undefined, { [allowInsecureRequests]: true }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'WWWAuthenticateChallengeError', status: 401 });
      const [challenge] = (error as WWWAuthenticateChallengeError).cause;
      expect(challenge).toEqual({ scheme: 'bearer', parameters: { error: 'insufficient_user_authentication', max_age: '300' } });
    } finally {
      await server.close();
      await auth.close();
    }
  });
});

describe('reauthenticate', () => {
  it('records a fresh authentication on the same session: same id and data, new authTime and amr, absolute expiry kept', async () => {
    const { auth, clock, events } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1', data: { role: 'user' }, amr: ['pwd'] });
    clock.advance(20 * MINUTE);
    await auth.refresh({ refreshToken: r.refreshToken });
    clock.advance(20 * MINUTE);
    const again = await auth.reauthenticate(r.session.id, { amr: ['hwk'] });
    expect(again.session).toMatchObject({ id: r.session.id, data: { role: 'user' }, authTime: clock.now(), amr: ['hwk'], absoluteExpiresAt: r.session.absoluteExpiresAt });
    expect(again.sessionToken).not.toBe(r.sessionToken);
    expect(decodeJwt(again.accessToken)).toMatchObject({ sid: r.session.id, auth_time: clock.now() / 1000, amr: ['hwk'] });
    const ctx = await auth.authenticate(cookieRequest(SESSION_COOKIE, again.sessionToken));
    expect(ctx).toMatchObject({ sessionId: r.session.id, authTime: clock.now(), amr: ['hwk'] });
    expect(events.at(-1)).toEqual({ type: 'reauthenticate', at: clock.now(), userId: 'u1', sessionId: r.session.id, amr: ['hwk'] });
    expect(cookieValue(again.setCookies, SESSION_COOKIE)).toBe(again.sessionToken);
  });

  it('kills the cookie copy from before: refused as session_invalid without clearing the new cookie; a forged secret is still cleared', async () => {
    const { auth } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    const again = await auth.reauthenticate(r.session.id);
    const old = await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken)));
    expect(old).toMatchObject({ code: 'session_invalid', setCookies: [] });
    const forged = await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, `${r.session.id}.${'A'.repeat(43)}`)));
    expect(forged.code).toBe('session_invalid');
    expect(cookieValue(forged.setCookies, SESSION_COOKIE)).toBe('');
    expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, again.sessionToken))).toMatchObject({ userId: 'u1' });
  });

  it('starts a new refresh family: every earlier refresh token is refused as invalid, revokes nothing, and the new one rotates', async () => {
    const { auth, clock, events } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    const g1 = await auth.refresh({ refreshToken: r.refreshToken });
    clock.advance(MINUTE);
    const g2 = await auth.refresh({ refreshToken: g1.refreshToken });
    const again = await auth.reauthenticate(r.session.id);
    expect(generation(again.refreshToken)).toBe(3);
    // the previous generation inside the grace window, the current one, and an old one: none passes, none is theft
    for (const token of [g1.refreshToken, g2.refreshToken, r.refreshToken]) {
      expect((await authFailure(auth.refresh({ refreshToken: token }))).code).toBe('token_invalid');
    }
    expect(events.some((e) => e.type === 'refresh_reused')).toBe(false);
    const next = await auth.refresh({ refreshToken: again.refreshToken });
    expect(generation(next.refreshToken)).toBe(4);
    await auth.refresh({ refreshToken: next.refreshToken });
    clock.advance(MINUTE);
    // theft detection still holds inside the new family: generation 3 is older than the last one used (4)
    expect((await authFailure(auth.refresh({ refreshToken: again.refreshToken }))).code).toBe('refresh_reused');
    expect(await auth.sessions.get(r.session.id)).toBeNull();
  });

  it('extends the absolute lifetime only when asked', async () => {
    const { auth, clock } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1', lifetime: { idle: '1d' } });
    clock.advance(20 * HOUR);
    const kept = await auth.reauthenticate(r.session.id);
    expect(kept.session.absoluteExpiresAt).toBe(r.session.absoluteExpiresAt);
    const extended = await auth.reauthenticate(r.session.id, { extendAbsolute: true });
    expect(extended.session.absoluteExpiresAt).toBe(clock.now() + 30 * DAY);
    const long = await auth.signIn({ userId: 'u2', lifetime: { idle: '1d', absolute: '60d' } });
    clock.advance(HOUR);
    expect((await auth.reauthenticate(long.session.id, { extendAbsolute: true })).session.absoluteExpiresAt).toBe(clock.now() + 60 * DAY);
  });

  it('fails with session_invalid for a signed-out or unknown session, and leaves the credentials as they were when the claims hook throws', async () => {
    let broken = false;
    const { auth } = await tokenAuth({ claims: () => {
      if (broken) throw new Error('claims down');
      return {};
    } });
    const r = await auth.signIn({ userId: 'u1' });
    broken = true;
    await expect(auth.reauthenticate(r.session.id)).rejects.toThrow('claims down');
    expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken))).toMatchObject({ userId: 'u1' });
    broken = false;
    await auth.signOut(r.session.id);
    expect((await authFailure(auth.reauthenticate(r.session.id))).code).toBe('session_invalid');
    expect((await authFailure(auth.reauthenticate('not-a-session-id'))).code).toBe('session_invalid');
  });

  it('with checkSession, a bearer token of the session still verifies after reauthenticate (same session id), with its own auth_time', async () => {
    const { auth, clock } = await tokenAuth({ checkSession: true });
    const r = await auth.signIn({ userId: 'u1' });
    clock.advance(MINUTE);
    const again = await auth.reauthenticate(r.session.id);
    expect(await auth.authenticate(bearerRequest(r.accessToken))).toMatchObject({ authTime: clock.now() - MINUTE });
    expect(await auth.authenticate(bearerRequest(again.accessToken))).toMatchObject({ authTime: clock.now() });
  });

  it('stores only hashes: neither the new nor the previous cookie secret is ever written', async () => {
    const { auth, store } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1' });
    const again = await auth.reauthenticate(r.session.id);
    const secrets = [r.sessionToken, again.sessionToken].map((t) => t.split('.')[1]!);
    for (const write of store.writes) for (const secret of secrets) expect(write).not.toContain(secret);
    const last = JSON.parse(store.writes.at(-1)!) as SessionRecord;
    expect(last.previousSecretHash).toBe((JSON.parse(store.writes[0]!) as SessionRecord).secretHash);
  });
});

describe('reauthenticate without tokens', () => {
  it('a cookie-only Auth re-authenticates the same session: new cookie, old copy dead, no tokens', async () => {
    const clock = testClock();
    const auth = createAuth({ now: clock.now });
    const r = await auth.signIn({ userId: 'u1' });
    clock.advance(MINUTE);
    const again = await auth.reauthenticate(r.session.id, { amr: ['pwd'] });
    expect(again).toMatchObject({ session: { id: r.session.id, authTime: clock.now() } });
    expect(again.accessToken).toBeUndefined();
    expect(again.setCookies).toHaveLength(1);
    expect((await authFailure(auth.authenticate(cookieRequest(SESSION_COOKIE, r.sessionToken)))).code).toBe('session_invalid');
    expect(await auth.authenticate(cookieRequest(SESSION_COOKIE, again.sessionToken))).toMatchObject({ authTime: clock.now(), amr: ['pwd'] });
  });
});

describe('elevate', () => {
  it('keeps the absolute lifetime of the session it replaces instead of starting a new one', async () => {
    const { auth, clock } = await tokenAuth();
    const r = await auth.signIn({ userId: 'u1', lifetime: { idle: '2h' } });
    clock.advance(HOUR);
    const next = await auth.elevate(r.session.id);
    expect(next.session.id).not.toBe(r.session.id);
    expect(next.session.absoluteExpiresAt).toBe(r.session.absoluteExpiresAt);
    expect(next.session.idleExpiresAt).toBe(clock.now() + 2 * HOUR);
    expect(next.session.authTime).toBe(clock.now());
  });
});
