// Session-cookie attacks: tampering, fixation, a leaked store dump, guessing ids, and a store outage.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuth, generateKey, memoryStore, type Auth, type SessionRecord, type SessionStore } from '../../src/entries/index.js';
import { payloadText, record } from '../support/tracing.js';
import {
  AUDIENCE,
  FRAMEWORKS,
  ISSUER,
  brokenStore,
  clock,
  cookieValue,
  login,
  send,
  setup,
  startApp,
  type App,
  type Login,
} from './support.js';

/** A memory store that keeps the JSON of every record written: everything a dump could ever show. */
function dumpingStore(now: () => number): SessionStore & { dump(): string } {
  const inner = memoryStore({ now });
  const writes: string[] = [];
  return {
    ...inner,
    create: async (record: SessionRecord) => {
      writes.push(JSON.stringify(record));
      return inner.create(record);
    },
    update: async (record: SessionRecord, version: number) => {
      writes.push(JSON.stringify(record));
      return inner.update(record, version);
    },
    get: (id) => inner.get(id),
    touch: (id, a) => inner.touch(id, a),
    delete: (id) => inner.delete(id),
    listByUser: (u) => inner.listByUser(u),
    deleteByUser: (u, o) => inner.deleteByUser(u, o),
    dump: () => writes.join('\n'),
  };
}

describe.each(FRAMEWORKS)('session cookie attacks through %s', (framework) => {
  let auth: Auth<true>;
  let app: App;
  let user: Login;
  let other: Login;
  const me = (cookie: string) => send(app, 'GET', '/me', { cookie });

  beforeAll(async () => {
    ({ auth } = await setup());
    app = await startApp(framework, auth);
    user = await login(app, auth, '50');
    other = await login(app, auth, '51');
  });
  afterAll(() => app.close());

  test('a tampered session cookie is refused with session_invalid and cleared, and the genuine one keeps working', async () => {
    const name = auth.cookies.session;
    const [id, secret] = user.sessionCookie.split('=')[1]!.split('.') as [string, string];
    const [otherId] = other.sessionCookie.split('=')[1]!.split('.') as [string];
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    const tampered = [
      `${id}.${flip(secret, 0)}`, // one character of the secret
      `${id}.${flip(secret, 42)}`,
      `${otherId}.${secret}`, // my secret on another user's session id
      `${flip(id, 3)}.${secret}`,
      `${id}.`,
      id,
      `${id}.${secret}.${secret}`,
      `${id}.${secret}x`,
      `${id}.${'A'.repeat(43)}`,
    ];
    for (const value of tampered) {
      const res = await me(`${name}=${value}`);
      expect(res.status, value).toBe(401);
      expect(res.json).toEqual({ error: 'session_invalid' });
      expect(cookieValue(res.setCookies, name)).toBe('');
    }
    const ok = await me(user.sessionCookie);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ userId: '50', via: 'cookie' });
  });

  test('session fixation: a cookie planted before sign-in is never adopted; sign-in issues a new session id', async () => {
    const name = auth.cookies.session;
    const planted = `${'P'.repeat(22)}.${'S'.repeat(43)}`;
    const victim = await login(app, auth, '70', { cookie: `${name}=${planted}` });
    expect(victim.sessionCookie).not.toBe(`${name}=${planted}`);
    expect(victim.sessionId).not.toBe('P'.repeat(22));
    expect((await me(`${name}=${planted}`)).status).toBe(401);
    const mine = await me(victim.sessionCookie);
    expect(mine.json).toMatchObject({ userId: '70', sessionId: victim.sessionId });
  });

  test('session fixation: an attacker\'s own valid session cookie planted in the victim\'s browser is replaced at sign-in, not upgraded', async () => {
    const attacker = await login(app, auth, 'attacker');
    const victim = await login(app, auth, 'victim', { cookie: attacker.sessionCookie });
    expect(victim.sessionId).not.toBe(attacker.sessionId);
    expect((await me(victim.sessionCookie)).json).toMatchObject({ userId: 'victim', sessionId: victim.sessionId });
    // the attacker's cookie still names only the attacker: the victim's sign-in did not flow into it
    expect((await me(attacker.sessionCookie)).json).toMatchObject({ userId: 'attacker', sessionId: attacker.sessionId });
  });

  test('sign-out with a stale or foreign bearer token next to the session cookie still ends the cookie session', async () => {
    const victim = await login(app, auth, '60');
    const stranger = await login(app, auth, '61');
    for (const authorization of ['Bearer not-a-token', `Bearer ${stranger.accessToken.slice(0, -4)}AAAA`]) {
      const session = await login(app, auth, '60');
      const out = await send(app, 'POST', '/auth/logout', { authorization, cookie: session.sessionCookie });
      expect(out.status).toBe(204);
      expect((await me(session.sessionCookie)).status).toBe(401);
    }
    // a valid bearer token names its own session: that one ends, the other user's cookie session is untouched
    const out = await send(app, 'POST', '/auth/logout', { authorization: `Bearer ${victim.accessToken}`, cookie: stranger.sessionCookie });
    expect(out.status).toBe(204);
    expect((await me(victim.sessionCookie)).status).toBe(401);
    expect((await me(stranger.sessionCookie)).status).toBe(200);
    // falling back to the cookie is CSRF-checked like any cookie-authenticated sign-out
    const csrf = await send(app, 'POST', '/auth/logout', { authorization: 'Bearer junk', cookie: stranger.sessionCookie, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' });
    expect(csrf.status).toBe(403);
    expect((await me(stranger.sessionCookie)).status).toBe(200);
  });

  test('nothing is stored and no cookie is set before sign-in (anonymous and garbage-cookie requests)', async () => {
    const before = await auth.sessions.list('50');
    const anon = await send(app, 'GET', '/public');
    expect(anon.status).toBe(200);
    expect(anon.setCookies).toEqual([]);
    const garbage = await send(app, 'GET', '/public', { cookie: `${auth.cookies.session}=junk` });
    expect(garbage.status).toBe(200);
    expect(garbage.setCookies.every((line) => /Max-Age=0/.test(line))).toBe(true);
    expect(await auth.sessions.list('50')).toHaveLength(before.length);
  });
});

describe('secrets at rest', () => {
  test('a store dump contains neither the session secret nor any refresh secret nor an access token', async () => {
    const time = clock();
    const store = dumpingStore(time.now);
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, store, now: time.now });
    const signedIn = await auth.signIn({ userId: '50', data: { role: 'admin' } });
    const secrets = [signedIn.sessionToken.split('.')[1]!, signedIn.refreshToken.split('.')[2]!, signedIn.accessToken];
    let refreshToken = signedIn.refreshToken;
    for (let i = 0; i < 3; i++) {
      time.advance(60_000);
      refreshToken = (await auth.refresh({ refreshToken })).refreshToken;
      secrets.push(refreshToken.split('.')[2]!);
    }
    const dump = store.dump();
    expect(dump).toContain(signedIn.session.id); // the dump is real: it holds the record
    for (const secret of secrets) expect(dump).not.toContain(secret);
    expect(dump).toMatch(/"secretHash":"[A-Za-z0-9_-]{43}"/);
  });

  test('a cookie forged from the stored hash (id.secretHash) is refused', async () => {
    const time = clock();
    const store = dumpingStore(time.now);
    const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, store, now: time.now });
    const { session, sessionToken } = await auth.signIn({ userId: '50' });
    const record = (await store.get(session.id))!;
    for (const value of [`${session.id}.${record.secretHash}`]) {
      await expect(auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${value}` } })).rejects.toMatchObject({ code: 'session_invalid' });
    }
    // refresh tokens forged from what the store holds are refused
    for (const forged of [`${session.id}.0.${record.secretHash}`, `${session.id}.${record.refresh!.generation}.${record.secretHash}`]) {
      await expect(auth.refresh({ refreshToken: forged })).rejects.toMatchObject({ code: 'token_invalid' });
    }
    expect((await auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${sessionToken}` } }))?.userId).toBe('50');
  });
});

describe('no secrets in errors', () => {
  test('errors for refused credentials never carry the presented token, secret or cookie value (message, cause chain, JSON)', async () => {
    const { auth, clock: time } = await setup();
    const traced = record(); // and neither does any payload on the tracing channels (their errors are these errors)
    const user = await auth.signIn({ userId: '50' });
    const flip = (s: string) => `${s.slice(0, 30)}${s[30] === 'A' ? 'B' : 'A'}${s.slice(31)}`;
    const attempts: [string, Promise<unknown>][] = [];
    // settle each attempt at once, so a refusal is handled even before the loop below reads it
    const settled = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);
    const presented = [user.accessToken, flip(user.accessToken), user.sessionToken, flip(user.sessionToken), user.refreshToken, flip(user.refreshToken)];
    for (const value of presented) {
      attempts.push([value, settled(auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${value}` } }))]);
      attempts.push([value, settled(auth.authenticate({ method: 'POST', headers: { cookie: `${auth.cookies.session}=${value}`, origin: 'https://evil.test' } }))]);
      attempts.push([value, settled(auth.refresh({ refreshToken: value }))]);
    }
    time.advance(60 * 60 * 1000); // expired token errors too
    attempts.push([user.accessToken, settled(auth.verifyAccessToken(user.accessToken))]);
    let refused = 0;
    for (const [value, attempt] of attempts) {
      const error = await attempt;
      if (error === null) continue;
      refused++;
      const texts: string[] = [];
      for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
        texts.push(String(e), (e as Error).message ?? '', (e as Error).stack ?? '', JSON.stringify(e) ?? '');
      }
      const all = texts.join('\n');
      for (const part of value.split('.')) if (part.length >= 16) expect(all).not.toContain(part);
    }
    expect(refused).toBeGreaterThanOrEqual(15);
    traced.unsubscribe();
    expect(traced.events.filter((e) => e.event === 'error').length).toBeGreaterThanOrEqual(15);
    const payloads = payloadText(traced.contexts);
    for (const value of presented) for (const part of value.split('.')) if (part.length >= 16 && part !== user.session.id) expect(payloads).not.toContain(part);
  });
});

describe('brute force of ids and secrets', () => {
  test('session ids are 128-bit and secrets 256-bit base64url, unique and unbiased over 600 sign-ins', async () => {
    const time = clock();
    const auth = createAuth({ keys: [await generateKey('HS256')], issuer: ISSUER, audience: AUDIENCE, store: memoryStore({ now: time.now }), now: time.now });
    const ids = new Set<string>();
    const secrets = new Set<string>();
    const refreshSecrets = new Set<string>();
    const jtis = new Set<string>();
    const ones = new Array<number>(128).fill(0);
    const n = 600;
    for (let i = 0; i < n; i++) {
      const r = await auth.signIn({ userId: 'u' });
      const [id, secret] = r.sessionToken.split('.') as [string, string];
      const [rid, generation, rsecret] = r.refreshToken.split('.') as [string, string, string];
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
      expect(rid).toBe(id);
      expect(generation).toBe('0');
      expect(Buffer.from(rsecret, 'base64url')).toHaveLength(32);
      const jti = JSON.parse(Buffer.from(r.accessToken.split('.')[1]!, 'base64url').toString()).jti as string;
      expect(Buffer.from(jti, 'base64url').length).toBeGreaterThanOrEqual(16);
      ids.add(id);
      secrets.add(secret);
      refreshSecrets.add(rsecret);
      jtis.add(jti);
      const bytes = Buffer.from(id, 'base64url');
      for (let bit = 0; bit < 128; bit++) if (bytes[bit >> 3]! & (1 << (bit & 7))) ones[bit]!++;
    }
    expect([ids.size, secrets.size, refreshSecrets.size, jtis.size]).toEqual([n, n, n, n]);
    // every bit of the id is random: a constant or sequential part would sit near 0 % or 100 %
    for (const count of ones) {
      expect(count / n).toBeGreaterThan(0.35);
      expect(count / n).toBeLessThan(0.65);
    }
  });
});

describe.each(FRAMEWORKS)('store outage through %s', (framework) => {
  test('a store that throws gives 503 store_unavailable on cookie auth, refresh, sign-in and sign-out, never a context', async () => {
    const time = clock();
    const broken = { on: false };
    const { auth } = await setup({ store: brokenStore(memoryStore({ now: time.now }), broken), now: time.now });
    const app = await startApp(framework, auth);
    try {
      const user = await login(app, auth);
      broken.on = true;
      for (const [method, path, headers] of [
        ['GET', '/me', { cookie: user.sessionCookie }],
        ['POST', '/write', { cookie: user.sessionCookie }],
        ['GET', '/public', { cookie: user.sessionCookie }],
        ['POST', '/auth/refresh', { cookie: user.refreshCookie }],
      ] as const) {
        const res = await send(app, method, path, headers);
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.json).toEqual({ error: 'store_unavailable' });
        expect(res.headers['retry-after']).toBe('1');
        expect(res.setCookies.filter((line) => !/Max-Age=0/.test(line))).toEqual([]);
      }
      // sign-in runs in the app's own handler, so the framework's error handler words the body; the status is 503
      const signIn = await send(app, 'POST', '/login', {});
      expect(signIn.status).toBe(503);
      expect(signIn.setCookies).toEqual([]);
      expect(signIn.text).not.toMatch(/ECONNREFUSED|6379/);
      const out = await send(app, 'POST', '/auth/logout', { cookie: user.sessionCookie });
      expect(out.status).toBe(503);
      await expect(auth.authenticate({ method: 'GET', headers: { cookie: user.sessionCookie } })).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
      broken.on = false;
      expect((await send(app, 'GET', '/me', { cookie: user.sessionCookie })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  test('with checkSession, a bearer token is refused with 503 while the store is down (fail closed)', async () => {
    const time = clock();
    const broken = { on: false };
    const { auth } = await setup({ store: brokenStore(memoryStore({ now: time.now }), broken), now: time.now, accessToken: { checkSession: true } });
    const app = await startApp(framework, auth);
    try {
      const user = await login(app, auth);
      expect((await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` })).status).toBe(200);
      broken.on = true;
      const res = await send(app, 'GET', '/me', { authorization: `Bearer ${user.accessToken}` });
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ error: 'store_unavailable' });
    } finally {
      await app.close();
    }
  });
});
