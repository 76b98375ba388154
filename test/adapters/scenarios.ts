// The one HTTP scenario table every adapter runs (express.test.ts, fastify.test.ts, koa.test.ts), and
// the harness that runs it against a real server on a loopback port through fetch. Every response
// is recorded in a normalised form (random token values masked) so parity.test.ts can check that the
// three frameworks answer the whole table identically. Not a test file itself.
import { describe, expect, it } from 'vitest';
import { createAuth, generateKey, memoryStore, type Auth, type AuthContext, type SessionRecord, type SessionStore, type SigningKey } from '../../src/entries/index.js';

/** A running test app: its base URL and how to stop it. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the framework's test app around `auth` and listens on 127.0.0.1, port 0. Routes:
 * POST /login?user=&role= (sets a `theme` cookie of its own first), GET /me, GET /admin (role admin),
 * GET /public, POST /write, GET /boom (a check that throws), GET /recent (requireAuth({ maxAge: '5m' })),
 * POST /reauth (calls auth.reauthenticate for the request's session and sends its cookies and access token),
 * POST /auth/refresh, POST /auth/logout.
 * Non-latchkey errors reach an app error handler answering `{ appError: message }` with err.status or 500.
 */
export type StartApp = (auth: Auth<true>) => Promise<TestServer>;

/** What the test apps answer on /me. */
export function describeAuth(auth: AuthContext): { userId: string; via: string; role: unknown } {
  return { userId: auth.userId, via: auth.via, role: auth.via === 'cookie' ? auth.data.role : auth.claims.role };
}

/** The check of GET /admin. */
export function isAdmin(auth: AuthContext): boolean {
  return describeAuth(auth).role === 'admin';
}

/** The check of GET /boom: an app bug, which must reach the framework's error path. */
export function brokenCheck(): boolean {
  throw new Error('check exploded');
}

/** The memoryStore a scenario controls: make every call reject, or hold `get` calls to force a race. */
interface ControlledStore extends SessionStore {
  failing: boolean;
  /** The next `count` get() calls wait for each other before reading. */
  holdGets(count: number): void;
  /** How many compare-and-set updates lost (the version had moved). */
  readonly conflicts: number;
}

function controlledStore(now: () => number): ControlledStore {
  const inner = memoryStore({ now });
  let held: { count: number; waiting: (() => void)[] } | null = null;
  const gate = async (): Promise<void> => {
    if (!held) return;
    const group = held;
    await new Promise<void>((release) => {
      group.waiting.push(release);
      if (group.waiting.length === group.count) {
        held = null;
        for (const go of group.waiting) go();
      }
    });
  };
  const guard = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (store.failing) throw new Error('ECONNREFUSED 10.0.0.7:6379');
      return call(...args);
    };
  let conflicts = 0;
  const store: ControlledStore = {
    failing: false,
    get conflicts() {
      return conflicts;
    },
    holdGets(count) {
      held = { count, waiting: [] };
    },
    create: guard((record: SessionRecord) => inner.create(record)),
    get: guard(async (id: string) => {
      await gate();
      return inner.get(id);
    }),
    update: guard(async (record: SessionRecord, version: number) => {
      const written = await inner.update(record, version);
      if (!written) conflicts++;
      return written;
    }),
    touch: guard((id: string, activity: Parameters<SessionStore['touch']>[1]) => inner.touch(id, activity)),
    delete: guard((id: string) => inner.delete(id)),
    listByUser: guard((userId: string) => inner.listByUser(userId)),
    deleteByUser: guard((userId: string, options?: { except?: string }) => inner.deleteByUser(userId, options)),
  };
  return store;
}

/** A response as a test sees it. */
export interface Observed {
  status: number;
  headers: Headers;
  setCookies: string[];
  body: unknown;
}

/** A response with random values masked: what parity compares. */
export interface Recorded {
  step: string;
  status: number;
  headers: Record<string, string | null>;
  setCookies: string[];
  body: unknown;
}

/** A signed-in client: its cookies (as Cookie pairs) and its access token. */
export interface Client {
  session: string;
  refresh: string;
  accessToken: string;
}

/** What a scenario gets: the app, its Auth, the clock and the store. */
export interface Harness {
  readonly auth: Auth<true>;
  readonly store: ControlledStore;
  /** The app's own origin, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  advance(ms: number): void;
  /** `body`: sent as is (a string), e.g. JSON with `content-type: application/json` in `headers`. */
  request(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<Observed>;
  signIn(userId?: string, role?: string): Promise<Client>;
}

/** One row of the table: a behaviour a user would notice, checked through HTTP. */
export interface Scenario {
  name: string;
  run(h: Harness): Promise<void>;
}

export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SESSION = '__Host-latchkey.session';
const REFRESH = '__Secure-latchkey.refresh';
const TRUSTED = 'https://app.example.test';
const CROSS_SITE = { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' };
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

let signingKey: Promise<SigningKey> | undefined;

/** The `name=value` pair of a Set-Cookie line, for a Cookie header. */
export function pair(setCookie: string | undefined): string {
  if (setCookie === undefined) throw new Error('expected a Set-Cookie line');
  return setCookie.split(';', 1)[0]!;
}

function cookieLine(res: Observed, name: string): string | undefined {
  return res.setCookies.find((line) => line.startsWith(`${name}=`));
}

function isClearing(line: string): boolean {
  return /;\s*Max-Age=0(;|$)/i.test(line);
}

function cookies(...pairs: string[]): { cookie: string } {
  return { cookie: pairs.join('; ') };
}

function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

function mask(value: unknown): unknown {
  if (typeof value === 'string') return JWT.test(value) ? '<jwt>' : value;
  if (Array.isArray(value)) return value.map(mask);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  return value;
}

function record(step: string, res: Observed): Recorded {
  const headers: Record<string, string | null> = {};
  for (const name of ['content-type', 'cache-control', 'www-authenticate', 'retry-after']) headers[name] = res.headers.get(name);
  const setCookies = res.setCookies.map((line) => line.replace(/^([^=]+)=([^;]*)/, (_, name: string, value: string) => `${name}=${value === '' ? '' : '<value>'}`));
  return { step, status: res.status, headers, setCookies, body: mask(res.body) };
}

/** Runs one scenario against a fresh app and Auth; returns every response it saw, normalised. */
export async function runScenario(start: StartApp, scenario: Scenario): Promise<Recorded[]> {
  let now = T0;
  const store = controlledStore(() => now);
  signingKey ??= generateKey('EdDSA');
  const auth = createAuth({
    keys: [await signingKey],
    issuer: 'https://api.latchkey.test',
    audience: 'web',
    store,
    now: () => now,
    accessToken: { claims: (session) => ({ role: session.data.role }) },
    csrf: { trustedOrigins: [TRUSTED] },
  });
  const server = await start(auth);
  const recorded: Recorded[] = [];
  const harness: Harness = {
    auth,
    store,
    origin: server.url,
    advance(ms) {
      now += ms;
    },
    async request(method, path, headers = {}, body) {
      const slot = recorded.push({ step: '', status: 0, headers: {}, setCookies: [], body: null }) - 1;
      const response = await fetch(server.url + path, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      const json = (response.headers.get('content-type') ?? '').includes('json');
      const observed: Observed = { status: response.status, headers: response.headers, setCookies: response.headers.getSetCookie(), body: json ? JSON.parse(text) : text };
      recorded[slot] = record(`${method} ${path.replace(/\?.*/, '')}`, observed);
      return observed;
    },
    async signIn(userId = '50', role = 'user') {
      const res = await harness.request('POST', `/login?user=${userId}&role=${role}`);
      expect(res.status).toBe(200);
      const body = res.body as { accessToken: string };
      return { session: pair(cookieLine(res, SESSION)), refresh: pair(cookieLine(res, REFRESH)), accessToken: body.accessToken };
    },
  };
  try {
    await scenario.run(harness);
  } finally {
    await server.close();
    await auth.close();
  }
  return recorded;
}

/** Registers one test per scenario for a framework. */
export function describeScenarios(framework: string, start: StartApp): void {
  describe(`${framework} adapter`, () => {
    for (const scenario of scenarios) it(scenario.name, () => runScenario(start, scenario).then(() => undefined));
  });
}

export const scenarios: Scenario[] = [
  {
    name: 'a stale sign-in gets the RFC 9470 challenge; reauthenticate lets the request pass and kills the old cookie copy',
    async run(h) {
      const client = await h.signIn();
      expect((await h.request('GET', '/recent', cookies(client.session))).status).toBe(200);
      h.advance(5 * MINUTE + SECOND);
      for (const credential of [cookies(client.session), bearer(client.accessToken)]) {
        const stale = await h.request('GET', '/recent', credential);
        expect(stale.status).toBe(401);
        expect(stale.headers.get('www-authenticate')).toBe('Bearer error="insufficient_user_authentication", max_age=300');
        expect(stale.headers.get('cache-control')).toBe('no-store');
        expect(stale.body).toEqual({ error: 'reauthentication_required', maxAge: 300 });
        expect(stale.setCookies).toEqual([]);
      }
      expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(200); // only /recent asks for a recent sign-in

      const reauth = await h.request('POST', '/reauth', { ...cookies(client.session), origin: h.origin });
      expect(reauth.status).toBe(200);
      const session = pair(cookieLine(reauth, SESSION));
      const refresh = pair(cookieLine(reauth, REFRESH));
      expect(session.split('.')[0]).toBe(client.session.split('.')[0]); // the same session id
      expect(session).not.toBe(client.session);
      const { accessToken } = reauth.body as { accessToken: string };
      expect((await h.request('GET', '/recent', cookies(session))).status).toBe(200);
      expect((await h.request('GET', '/recent', bearer(accessToken))).status).toBe(200);

      const oldCopy = await h.request('GET', '/me', cookies(client.session));
      expect(oldCopy.status).toBe(401);
      expect(oldCopy.body).toEqual({ error: 'session_invalid' });
      expect(oldCopy.setCookies.some(isClearing)).toBe(false); // a request in flight must not wipe the new cookie
      const oldRefresh = await h.request('POST', '/auth/refresh', cookies(client.refresh));
      expect(oldRefresh.status).toBe(401);
      expect(oldRefresh.body).toEqual({ error: 'token_invalid' });
      const next = await h.request('POST', '/auth/refresh', cookies(refresh)); // the old copy revoked nothing
      expect(next.status).toBe(200);
      expect((await h.request('GET', '/recent', bearer((next.body as { accessToken: string }).accessToken))).status).toBe(200);
    },
  },
  {
    name: 'sign-in sets a __Host- session cookie and a __Secure- refresh cookie scoped to /auth/refresh, keeping the app cookie',
    async run(h) {
      const res = await h.request('POST', '/login?user=50&role=user', { 'user-agent': 'scenario-agent/1.0' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.stringMatching(JWT), expiresIn: 900 });
      const session = cookieLine(res, SESSION)!;
      const refresh = cookieLine(res, REFRESH)!;
      expect(session).toMatch(/; Path=\/(;|$)/);
      expect(session).not.toMatch(/Domain=/i);
      expect(refresh).toMatch(/; Path=\/auth\/refresh(;|$)/);
      for (const line of [session, refresh]) {
        expect(line).toMatch(/; HttpOnly/);
        expect(line).toMatch(/; Secure/);
        expect(line).toMatch(/; SameSite=Lax/);
        expect(isClearing(line)).toBe(false);
      }
      expect(res.setCookies).toContain('theme=dark; Path=/');
      const [info] = await h.auth.sessions.list('50');
      expect(info?.meta.userAgent).toBe('scenario-agent/1.0');
      expect(info?.meta.ip).toMatch(/127\.0\.0\.1/);
    },
  },
  {
    name: 'a cross-site sign-in form is refused with 403 and signs nobody in (login CSRF); same-origin and trusted sign-ins pass',
    async run(h) {
      const refused = await h.request('POST', '/login?user=77&role=user', CROSS_SITE);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: 'csrf_rejected' }); // latchkey's JSON answer, not the framework's error page
      expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
      expect(refused.setCookies.filter((line) => line.startsWith('__'))).toEqual([]);
      expect(await h.auth.sessions.list('77')).toEqual([]);
      expect((await h.request('POST', '/login?user=77&role=user', { origin: 'https://evil.test' })).status).toBe(403);
      expect((await h.request('POST', '/login?user=77&role=user', { origin: TRUSTED, 'sec-fetch-site': 'cross-site' })).status).toBe(200);
      expect((await h.request('POST', '/login?user=77&role=user', { origin: h.origin, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
      expect(await h.auth.sessions.list('77')).toHaveLength(2);
    },
  },
  {
    name: 'the session cookie and a Bearer access token both authenticate /me',
    async run(h) {
      const client = await h.signIn('50', 'user');
      const viaCookie = await h.request('GET', '/me', cookies(client.session));
      expect(viaCookie.status).toBe(200);
      expect(viaCookie.body).toEqual({ userId: '50', via: 'cookie', role: 'user' });
      const viaBearer = await h.request('GET', '/me', bearer(client.accessToken));
      expect(viaBearer.status).toBe(200);
      expect(viaBearer.body).toEqual({ userId: '50', via: 'bearer', role: 'user' });
    },
  },
  {
    name: 'without credentials /me answers 401 with WWW-Authenticate and /public still answers',
    async run(h) {
      const res = await h.request('GET', '/me');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({ error: 'credentials_missing' });
      const open = await h.request('GET', '/public');
      expect(open.status).toBe(200);
      expect(open.body).toEqual({ signedIn: false });
      expect(open.setCookies).toEqual([]);
    },
  },
  {
    name: 'a bad or expired Bearer token answers 401 with error="invalid_token"',
    async run(h) {
      const client = await h.signIn();
      const forged = client.accessToken.slice(0, -4) + (client.accessToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const token of ['not-a-jwt', forged]) {
        const res = await h.request('GET', '/me', bearer(token));
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey", error="invalid_token"/);
        expect(res.body).toEqual({ error: 'token_invalid' });
      }
      h.advance(15 * MINUTE + 10 * SECOND);
      const expired = await h.request('GET', '/me', bearer(client.accessToken));
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(expired.body).toEqual({ error: 'token_expired' });
    },
  },
  {
    name: 'a forged session cookie answers 401 on /me, and /public answers and clears the stale cookies',
    async run(h) {
      const client = await h.signIn();
      const forged = client.session.slice(0, -4) + (client.session.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const res = await h.request('GET', '/me', cookies(forged));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'session_invalid' });
      expect(res.setCookies.filter(isClearing).map(pair)).toEqual([`${SESSION}=`, `${REFRESH}=`]);
      const open = await h.request('GET', '/public', cookies(forged));
      expect(open.status).toBe(200);
      expect(open.body).toEqual({ signedIn: false });
      expect(open.setCookies.every(isClearing)).toBe(true);
      expect(open.setCookies).toHaveLength(2);
    },
  },
  {
    name: 'requireAuth({ check }) answers 403 to a user and lets an admin in',
    async run(h) {
      const user = await h.signIn('50', 'user');
      const refused = await h.request('GET', '/admin', cookies(user.session));
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: 'forbidden' });
      expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      const admin = await h.signIn('7', 'admin');
      expect((await h.request('GET', '/admin', cookies(admin.session))).status).toBe(200);
      expect((await h.request('GET', '/admin', bearer(admin.accessToken))).status).toBe(200);
      expect((await h.request('GET', '/admin', bearer(user.accessToken))).status).toBe(403);
    },
  },
  {
    name: 'garbage and oversized (12 KB) cookies and Authorization headers answer 4xx, never 500',
    async run(h) {
      const big = 'A'.repeat(12 * 1024);
      const variants: Record<string, string>[] = [
        { cookie: `${SESSION}=${big}` },
        { cookie: `${REFRESH}=${big}` },
        { cookie: `${SESSION}=%E0%A4%A; ${REFRESH}=%%%` },
        { cookie: `;;;==;${SESSION};${SESSION}==;=x` },
        { cookie: `${SESSION}=a.b.c; ${REFRESH}=AAAAAAAAAAAAAAAAAAAAAA.999999999.${'A'.repeat(43)}` },
        { cookie: Array.from({ length: 400 }, (_, i) => `c${i}=${i}`).join('; ') },
        { authorization: `Bearer ${big}` },
        { authorization: `Bearer ${'eyJ'.repeat(4000)}.e30.` },
        { authorization: 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiI1MCJ9.' },
        { authorization: 'Bearer ' },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: big },
      ];
      for (const headers of variants) {
        for (const [method, path, expected] of [['GET', '/me', 401], ['POST', '/auth/refresh', 401], ['GET', '/public', 200], ['POST', '/auth/logout', 204]] as const) {
          const res = await h.request(method, path, headers);
          expect.soft(res.status, `${method} ${path} with ${Object.keys(headers)[0]} ${JSON.stringify(headers).slice(0, 60)}`).toBe(expected);
        }
      }
    },
  },
  {
    name: 'cross-site refresh, sign-out and cookie writes are refused with 403 csrf_rejected; Bearer writes pass',
    async run(h) {
      const client = await h.signIn();
      const refresh = await h.request('POST', '/auth/refresh', { ...cookies(client.refresh), ...CROSS_SITE });
      expect(refresh.status).toBe(403);
      expect(refresh.body).toEqual({ error: 'csrf_rejected' });
      expect(refresh.setCookies).toEqual([]);
      const logout = await h.request('POST', '/auth/logout', { ...cookies(client.session, client.refresh), ...CROSS_SITE });
      expect(logout.status).toBe(403);
      expect(logout.body).toEqual({ error: 'csrf_rejected' });
      expect(logout.setCookies).toEqual([]);
      // a cross-site form POST carries no SameSite cookie, yet its answer's clearing lines would still sign the user out
      const blindLogout = await h.request('POST', '/auth/logout', CROSS_SITE);
      expect(blindLogout.status).toBe(403);
      expect(blindLogout.setCookies).toEqual([]);
      const write = await h.request('POST', '/write', { ...cookies(client.session), ...CROSS_SITE });
      expect(write.status).toBe(403);
      expect((await h.request('POST', '/write', { ...bearer(client.accessToken), ...CROSS_SITE })).status).toBe(200);
      // nothing was signed out or rotated: the session and the original refresh token still work
      expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(200);
      expect((await h.request('POST', '/auth/refresh', cookies(client.refresh))).status).toBe(200);
    },
  },
  {
    name: 'same-origin, same-site, trusted-origin and non-browser clients may write, refresh and sign out',
    async run(h) {
      const allowed: Record<string, string>[] = [
        {},
        { 'sec-fetch-site': 'same-origin', origin: h.origin },
        { 'sec-fetch-site': 'same-site', origin: 'https://www.latchkey.test' },
        { origin: h.origin },
        { 'sec-fetch-site': 'cross-site', origin: TRUSTED },
        { 'sec-fetch-site': 'none' },
      ];
      for (const headers of allowed) {
        const client = await h.signIn();
        const label = JSON.stringify(headers).replace(/:\d+/, ':<port>');
        expect.soft((await h.request('POST', '/write', { ...cookies(client.session), ...headers })).status, `write ${label}`).toBe(200);
        expect.soft((await h.request('POST', '/auth/refresh', { ...cookies(client.refresh), ...headers })).status, `refresh ${label}`).toBe(200);
        expect.soft((await h.request('POST', '/auth/logout', { ...cookies(client.session), ...headers })).status, `logout ${label}`).toBe(204);
        expect.soft((await h.request('GET', '/me', cookies(client.session))).status, `signed out ${label}`).toBe(401);
      }
    },
  },
  {
    name: 'refresh rotates the refresh cookie; a cookie older than the last one used fails and revokes the session',
    async run(h) {
      const client = await h.signIn();
      const first = await h.request('POST', '/auth/refresh', cookies(client.refresh));
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(first.body).toEqual({ accessToken: expect.stringMatching(JWT), expiresIn: 900 });
      const rotated = cookieLine(first, REFRESH)!;
      expect(rotated).toMatch(/; Path=\/auth\/refresh(;|$)/);
      expect(pair(rotated)).not.toBe(client.refresh);
      expect(first.setCookies).toHaveLength(1);
      const fresh = (first.body as { accessToken: string }).accessToken;
      expect((await h.request('GET', '/me', bearer(fresh))).status).toBe(200);
      h.advance(11 * SECOND);
      expect((await h.request('POST', '/auth/refresh', cookies(pair(rotated)))).status).toBe(200); // generation 1 used
      const replay = await h.request('POST', '/auth/refresh', cookies(client.refresh));
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({ error: 'refresh_reused' });
      expect(replay.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(replay.setCookies.filter(isClearing)).toHaveLength(2);
      expect((await h.request('POST', '/auth/refresh', cookies(pair(rotated)))).status).toBe(401);
      expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(401);
    },
  },
  {
    name: 'both sides of a concurrent refresh race get 200 and the same new cookie; the loser gets no clearing header',
    async run(h) {
      const client = await h.signIn();
      h.store.holdGets(2); // both requests read generation 0 before either writes: a real compare-and-set race
      const [a, b] = await Promise.all([
        h.request('POST', '/auth/refresh', cookies(client.refresh)),
        h.request('POST', '/auth/refresh', cookies(client.refresh)),
      ]);
      for (const res of [a, b]) {
        expect(res.status).toBe(200);
        expect(res.setCookies.some(isClearing)).toBe(false);
        expect(res.setCookies).toHaveLength(1);
      }
      expect(h.store.conflicts).toBe(1); // the race really happened: one compare-and-set lost
      expect(pair(cookieLine(a, REFRESH))).toBe(pair(cookieLine(b, REFRESH)));
      expect((await h.request('POST', '/auth/refresh', cookies(pair(cookieLine(a, REFRESH))))).status).toBe(200);
    },
  },
  {
    name: 'sign-out answers 204, clears both cookies, and the session is gone (cookie or Bearer)',
    async run(h) {
      const client = await h.signIn();
      const res = await h.request('POST', '/auth/logout', cookies(client.session));
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      const cleared = res.setCookies.filter(isClearing);
      expect(cleared.map(pair)).toEqual([`${SESSION}=`, `${REFRESH}=`]);
      expect(cleared[1]).toMatch(/; Path=\/auth\/refresh(;|$)/);
      expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(401);
      expect((await h.request('POST', '/auth/refresh', cookies(client.refresh))).status).toBe(401);
      expect(await h.auth.sessions.list('50')).toEqual([]);

      const app = await h.signIn('51');
      expect((await h.request('POST', '/auth/logout', bearer(app.accessToken))).status).toBe(204);
      expect((await h.request('POST', '/auth/refresh', cookies(app.refresh))).status).toBe(401);
      expect(await h.auth.sessions.list('51')).toEqual([]);
    },
  },
  {
    name: 'a failing store answers 503 with Retry-After and no internals; Bearer access needs no store',
    async run(h) {
      const client = await h.signIn();
      h.store.failing = true;
      for (const [method, path, headers] of [
        ['GET', '/me', cookies(client.session)],
        ['GET', '/public', cookies(client.session)],
        ['POST', '/auth/refresh', cookies(client.refresh)],
        ['POST', '/auth/logout', cookies(client.session)],
      ] as const) {
        const res = await h.request(method, path, headers);
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.body).toEqual({ error: 'store_unavailable' });
      }
      expect((await h.request('GET', '/me', bearer(client.accessToken))).status).toBe(200);
      const login = await h.request('POST', '/login?user=52&role=user');
      expect(login.status).toBe(503);
      expect(login.headers.get('retry-after')).toBe('1');
      expect(login.body).toEqual({ error: 'store_unavailable' }); // signIn's AuthError gets latchkey's answer on every stack
      expect(JSON.stringify(login.body)).not.toMatch(/ECONNREFUSED/);
      h.store.failing = false;
      expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(200);
    },
  },
  {
    name: 'a client without a cookie jar refreshes with its token in a JSON body or an Authorization: Refresh header and gets the rotated token in the body',
    async run(h) {
      const client = await h.signIn();
      const token = decodeURIComponent(client.refresh.slice(client.refresh.indexOf('=') + 1));
      const viaBody = await h.request('POST', '/auth/refresh', { 'content-type': 'application/json', ...CROSS_SITE }, JSON.stringify({ refreshToken: token }));
      expect(viaBody.status).toBe(200); // not ambient: no CSRF check
      expect(viaBody.headers.get('cache-control')).toBe('no-store');
      expect(viaBody.body).toEqual({ accessToken: expect.stringMatching(JWT), expiresIn: 900, refreshToken: expect.any(String) });
      expect(viaBody.setCookies).toEqual([]);
      const rotated = (viaBody.body as { refreshToken: string }).refreshToken;
      expect(rotated).not.toBe(token);
      expect((await h.request('GET', '/me', bearer((viaBody.body as { accessToken: string }).accessToken))).status).toBe(200);

      const viaHeader = await h.request('POST', '/auth/refresh', { authorization: `Refresh ${rotated}` });
      expect(viaHeader.status).toBe(200);
      expect(viaHeader.setCookies).toEqual([]);
      const next = (viaHeader.body as { refreshToken: string }).refreshToken;
      expect(next).not.toBe(rotated);

      // the cookie path is unchanged: no refreshToken in the body, the rotated cookie instead
      const other = await h.signIn('51');
      const byCookie = await h.request('POST', '/auth/refresh', { ...cookies(other.refresh), 'content-type': 'application/json' }, JSON.stringify({ refreshToken: next }));
      expect(byCookie.status).toBe(200);
      expect(byCookie.body).toEqual({ accessToken: expect.stringMatching(JWT), expiresIn: 900 });
      expect(byCookie.setCookies).toHaveLength(1);

      h.advance(11 * SECOND);
      const replay = await h.request('POST', '/auth/refresh', { 'content-type': 'application/json' }, JSON.stringify({ refreshToken: token }));
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({ error: 'refresh_reused' });
      expect(replay.setCookies).toEqual([]); // the client holds no cookie: nothing to clear
      for (const [headers, body] of [
        [{ 'content-type': 'application/json' }, '{}'],
        [{ 'content-type': 'application/json' }, JSON.stringify({ refreshToken: 42 })],
        [{ 'content-type': 'text/plain' }, JSON.stringify({ refreshToken: next })],
        [{ authorization: 'Refresh' }, undefined],
        [{ authorization: `Refresh ${'A'.repeat(2000)}` }, undefined],
      ] as const) {
        const res = await h.request('POST', '/auth/refresh', headers, body);
        expect.soft(res.status, JSON.stringify(headers)).toBe(401);
      }
    },
  },
  {
    name: 'a client without a cookie jar signs out with its refresh token in a JSON body or an Authorization: Refresh header',
    async run(h) {
      for (const send of ['body', 'header'] as const) {
        const client = await h.signIn('60');
        const token = decodeURIComponent(client.refresh.slice(client.refresh.indexOf('=') + 1));
        const res = send === 'body'
          ? await h.request('POST', '/auth/logout', { 'content-type': 'application/json', ...CROSS_SITE }, JSON.stringify({ refreshToken: token }))
          : await h.request('POST', '/auth/logout', { authorization: `Refresh ${token}` });
        expect(res.status).toBe(204);
        expect(res.setCookies).toEqual([]);
        expect((await h.request('GET', '/me', cookies(client.session))).status).toBe(401);
      }
      expect(await h.auth.sessions.list('60')).toEqual([]);
    },
  },
  {
    name: 'an error thrown by app code inside requireAuth reaches the app error handler',
    async run(h) {
      const client = await h.signIn();
      const res = await h.request('GET', '/boom', cookies(client.session));
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ appError: 'check exploded' });
    },
  },
];
