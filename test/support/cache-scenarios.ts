// The session cache across two instances on one real store (Redis, PostgreSQL): instance A (its store's
// connections through a TCP proxy that can black-hole them) and instance B (direct), each its own Auth and
// its own store client. Written once, run against each store by test/stores/session-cache-*.test.ts.
import { createAuth, generateKey, type Auth, type AuthOptions, type SigningKey } from '../../src/entries/index.js';
import type { SessionStore } from '../../src/entries/store.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type TcpProxy } from './proxy.js';
import { codeOf, outcome, sleep } from './outcome.js';

export const MAX_DELAY = 1000;
const SLACK = 400; // timer and scheduling slack on a shared 2-core machine
const ISSUER = 'https://api.example.com';
const MINUTE = 60_000;

/** What each store gives the scenarios. */
export interface CacheHarness {
  /** Starts the server; its port is what A's proxy forwards to. */
  start(): Promise<number>;
  stop(): Promise<void>;
  /** A store with a client of its own, connecting to `port` (A: the proxy), its channel's heartbeat fast. */
  store(port: number, role: 'A' | 'B'): Promise<SessionStore & { broadcastLag(): number; close(): Promise<void> }>;
  /** Every byte of session state the server holds, as text (keys and values, or rows). */
  dump(): Promise<string>;
}

const IO = new Set(['get', 'update', 'touch', 'delete', 'create', 'listByUser', 'deleteByUser', 'advanceRefresh']);

/** A store that counts its I/O calls (the per-request read included). Instrumentation, not a mock: every call reaches the real store. */
export function counted<S extends SessionStore>(store: S): { store: S; calls: Map<string, number>; total(): number; reset(): void } {
  const calls = new Map<string, number>();
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || !(typeof key === 'symbol' || IO.has(key))) return value;
      const name = typeof key === 'symbol' ? 'read' : key;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0), reset: () => calls.clear() };
}

const cookie = (auth: Auth, token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Milliseconds until `auth` stops answering `ok` for the cookie (polling every 10 ms), and what it answered then. */
async function timeToRefusal(auth: Auth, token: string, ms: number): Promise<{ elapsed: number; code: string }> {
  const started = performance.now();
  for (;;) {
    const code = await codeOf(auth.authenticate(cookie(auth, token)));
    const elapsed = performance.now() - started;
    if (code !== 'ok' || elapsed > ms) return { elapsed, code };
    await sleep(10);
  }
}

/** The two-instance scenarios, against one store. */
export function describeSessionCache(name: string, available: boolean, harness: CacheHarness): void {
  describe.skipIf(!available)(`session cache, two instances on one ${name}`, () => {
    let port: number;
    let key: SigningKey;
    let offset = 0;
    const now = (): number => Date.now() + offset;
    const open: { close(): Promise<unknown> }[] = [];

    beforeAll(async () => {
      port = await harness.start();
      key = await generateKey('EdDSA');
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((o) => o.close().catch(() => {})));
      offset = 0;
    });
    afterAll(async () => {
      await harness.stop();
    });

    /** A (behind a proxy) and B (direct): their own Auth and store client. */
    async function instances(session: AuthOptions['session'] = {}) {
      const proxy: TcpProxy = await startProxy(port);
      const storeA = counted(await harness.store(proxy.port, 'A'));
      const storeB = counted(await harness.store(port, 'B'));
      const options = { keys: [key], issuer: ISSUER, audience: 'web', now, accessToken: { checkSession: true, maxRevocationDelay: `${MAX_DELAY}ms` as const }, session };
      const a = createAuth({ ...options, store: storeA.store });
      const b = createAuth({ ...options, store: storeB.store });
      open.push(a, b, storeA.store, storeB.store, proxy);
      return { a, b, storeA, storeB, proxy };
    }

    /** Authenticates on `auth` until its channel is confirmed and the cookie answers from its cache (no store call). */
    async function cached(auth: Auth, store: ReturnType<typeof counted>, token: string): Promise<void> {
      expect(await codeOf(auth.authenticate(cookie(auth, token)))).toBe('ok');
      await until(() => store.store.broadcastLag!() < 300, 5000, 'the channel to be confirmed');
      expect(await codeOf(auth.authenticate(cookie(auth, token)))).toBe('ok');
      store.reset();
      expect(await codeOf(auth.authenticate(cookie(auth, token)))).toBe('ok');
      expect(store.total()).toBe(0);
    }

    /** The cookie cached on A is refused on A within the bound (in practice: when the broadcast arrives). */
    async function refusedOnA(a: Auth, token: string, what: string, codes = ['session_invalid']): Promise<void> {
      const { elapsed, code } = await timeToRefusal(a, token, MAX_DELAY + SLACK);
      console.log(`${name}: ${what} on B -> the cookie cached on A refused after ${elapsed.toFixed(0)} ms (${code})`);
      expect(codes).toContain(code);
      expect(elapsed).toBeLessThan(MAX_DELAY + SLACK);
    }

    it('a cookie cached on A is refused on A within the bound of a sign-out on B', async () => {
      const { a, b, storeA } = await instances();
      const s = await b.signIn({ userId: 'c-signout' });
      await cached(a, storeA, s.sessionToken);
      await b.signOut(s.session.id);
      await refusedOnA(a, s.sessionToken, 'signOut');
      storeA.reset(); // ended: refused from memory from now on
      expect(await codeOf(a.authenticate(cookie(a, s.sessionToken)))).toBe('session_invalid');
      expect(storeA.total()).toBe(0);
    });

    it('... of a sign-out everywhere on B (every cached session of the user)', async () => {
      const { a, b, storeA } = await instances();
      const one = await b.signIn({ userId: 'c-everywhere' });
      const two = await b.signIn({ userId: 'c-everywhere' });
      const other = await b.signIn({ userId: 'c-everywhere-other' });
      await cached(a, storeA, one.sessionToken);
      await cached(a, storeA, two.sessionToken);
      await cached(a, storeA, other.sessionToken);
      expect(await b.signOutEverywhere('c-everywhere')).toBe(2);
      await refusedOnA(a, one.sessionToken, 'signOutEverywhere');
      expect(await codeOf(a.authenticate(cookie(a, two.sessionToken)))).toBe('session_invalid');
      storeA.reset();
      expect(await codeOf(a.authenticate(cookie(a, other.sessionToken)))).toBe('ok');
      expect(storeA.total()).toBe(0); // another user's cached session stays cached
    });

    it('... of an elevate on B (the old id dies; the new cookie works on A)', async () => {
      const { a, b, storeA } = await instances();
      const s = await b.signIn({ userId: 'c-elevate', data: { role: 'user' } });
      await cached(a, storeA, s.sessionToken);
      const up = await b.elevate(s.session.id, { data: { role: 'admin' } });
      await refusedOnA(a, s.sessionToken, 'elevate');
      expect((await a.authenticate(cookie(a, up.sessionToken)))?.data).toEqual({ role: 'admin' });
    });

    it('... of a reauthenticate on B (the copy from before the step-up is refused; the new one works on A)', async () => {
      const { a, b, storeA } = await instances();
      const s = await b.signIn({ userId: 'c-reauth' });
      await cached(a, storeA, s.sessionToken);
      const fresh = await b.reauthenticate(s.session.id);
      await refusedOnA(a, s.sessionToken, 'reauthenticate');
      const ctx = await a.authenticate(cookie(a, fresh.sessionToken));
      expect(ctx?.authTime).toBe(fresh.session.authTime);
    });

    it('... of a data update on B: A sees the new data within the bound', async () => {
      const { a, b, storeA } = await instances();
      const s = await b.signIn({ userId: 'c-update', data: { role: 'admin' } });
      await cached(a, storeA, s.sessionToken);
      await b.sessions.update(s.session.id, { role: 'user' });
      const started = performance.now();
      await until(async () => (await a.authenticate(cookie(a, s.sessionToken)))?.data?.role === 'user', MAX_DELAY + SLACK, 'the update on A');
      console.log(`${name}: update on B seen on A after ${(performance.now() - started).toFixed(0)} ms`);
    });

    it('... of an eviction by the per-user cap on B', async () => {
      const { a, b, storeA } = await instances({ maxPerUser: 2 });
      const first = await b.signIn({ userId: 'c-cap' });
      offset += 1000; // the first is the least recently active
      const second = await b.signIn({ userId: 'c-cap' });
      await cached(a, storeA, first.sessionToken);
      await cached(a, storeA, second.sessionToken);
      await b.signIn({ userId: 'c-cap' });
      await refusedOnA(a, first.sessionToken, 'an eviction by maxPerUser');
      expect(await codeOf(a.authenticate(cookie(a, second.sessionToken)))).toBe('ok');
    });

    it("A's channel black-holed: A stops trusting its cache after the bound and reads the store, so a sign-out on B is refused", async () => {
      const { a, b, storeA, proxy } = await instances();
      const s = await b.signIn({ userId: 'c-holed' });
      await cached(a, storeA, s.sessionToken);
      expect(proxy.blackholeSubscribers()).toBe(1);
      const holedAt = performance.now();
      await b.signOut(s.session.id); // A never hears of it
      const { elapsed, code } = await timeToRefusal(a, s.sessionToken, MAX_DELAY + 3000);
      console.log(`${name}: channel black-holed -> a sign-out on B refused on A after ${elapsed.toFixed(0)} ms (bound ${MAX_DELAY} ms)`);
      expect(code).toBe('session_invalid');
      expect(performance.now() - holedAt).toBeLessThan(MAX_DELAY + SLACK);
      // from then on every request reads the store (its main connection is fine)
      const other = await b.signIn({ userId: 'c-holed-2' });
      storeA.reset();
      for (let i = 0; i < 3; i++) expect(await codeOf(a.authenticate(cookie(a, other.sessionToken)))).toBe('ok');
      expect(storeA.calls.get('read') ?? storeA.calls.get('get')).toBe(3);
    });

    it("A's store unreachable (every connection black-holed): cached answers stop at the bound, then 503, never ok again", async () => {
      const { a, b, storeA, proxy } = await instances();
      const s = await b.signIn({ userId: 'c-unreachable' });
      await cached(a, storeA, s.sessionToken);
      proxy.blackholeAll();
      const started = performance.now();
      const answers: { at: number; code: string }[] = [];
      while (performance.now() - started < MAX_DELAY + 1500) {
        const o = await outcome(() => a.authenticate(cookie(a, s.sessionToken)));
        answers.push({ code: o.code, at: performance.now() - started });
        await sleep(20);
      }
      const first = answers.findIndex((x) => x.code !== 'ok');
      console.log(`${name}: store unreachable -> cached answers for ${answers[first - 1]?.at.toFixed(0)} ms, then ${answers[first]?.code} at ${answers[first]?.at.toFixed(0)} ms (bound ${MAX_DELAY} ms)`);
      expect(first).toBeGreaterThan(0); // the cache did answer while the channel was within the bound
      expect(answers[first - 1]!.at).toBeLessThan(MAX_DELAY + SLACK);
      expect(answers.slice(first).every((x) => x.code === 'store_unavailable')).toBe(true);
    });

    it('idle expiry: refused on every path, with no store call once refused; a session B kept alive is not refused on A', async () => {
      const { a, b, storeA, storeB } = await instances({ idleTimeout: '5m', touchEvery: '1m' });
      const idle = await b.signIn({ userId: 'c-idle' });
      const kept = await b.signIn({ userId: 'c-idle-kept' });
      await cached(a, storeA, idle.sessionToken);
      await cached(a, storeA, kept.sessionToken);
      // B keeps one session alive (touching it once a minute, never broadcast); A does not see either for 6 minutes
      for (let i = 0; i < 6; i++) {
        offset += MINUTE;
        expect(await codeOf(b.authenticate(cookie(b, kept.sessionToken)))).toBe('ok');
      }
      expect(await codeOf(a.authenticate(cookie(a, kept.sessionToken)))).toBe('ok');
      expect(await codeOf(a.authenticate(cookie(a, idle.sessionToken)))).toBe('session_expired');
      await until(async () => {
        storeB.reset();
        return (await codeOf(b.authenticate(cookie(b, idle.sessionToken)))) === 'session_invalid' && storeB.total() === 0;
      }, MAX_DELAY, 'B to learn of the deletion through the channel');
      storeA.reset();
      storeB.reset();
      for (const auth of [a, b]) {
        expect(await codeOf(auth.authenticate(cookie(auth, idle.sessionToken)))).toBe('session_invalid');
        expect(await codeOf(auth.authenticate({ method: 'GET', headers: { authorization: `Bearer ${idle.accessToken}` } }))).toBe('session_invalid');
      }
      expect(storeA.total() + storeB.total()).toBe(0);
      expect(await codeOf(a.refresh({ refreshToken: idle.refreshToken }))).toBe('session_invalid');
    });

    it("a cached copy that says idle-expired is read again before refusing (another instance's touch is not broadcast)", async () => {
      const { a, b, storeA } = await instances({ idleTimeout: '90s', touchEvery: '1m' });
      const s = await b.signIn({ userId: 'c-stale-early' });
      offset += 50_000;
      await cached(a, storeA, s.sessionToken); // A's copy: idle until sign-in + 90 s, fresh until +110 s
      offset += 11_000;
      expect(await codeOf(b.authenticate(cookie(b, s.sessionToken)))).toBe('ok'); // B touches: idle until +151 s
      offset += 34_000; // +95 s: A's copy says expired, the store says live
      storeA.reset();
      expect(await codeOf(a.authenticate(cookie(a, s.sessionToken)))).toBe('ok');
      expect(storeA.calls.get('read') ?? storeA.calls.get('get')).toBe(1);
    });

    it('touch is written at most once per touchEvery, and the cached copy moves with it', async () => {
      const { a, b, storeA } = await instances({ idleTimeout: '30m', touchEvery: '1m' });
      const s = await b.signIn({ userId: 'c-touch' });
      await cached(a, storeA, s.sessionToken);
      storeA.reset();
      for (let i = 0; i < 60; i++) {
        offset += 10_000; // ten minutes, a request every 10 s, five each time
        for (let j = 0; j < 5; j++) expect(await codeOf(a.authenticate(cookie(a, s.sessionToken)))).toBe('ok');
      }
      const touches = storeA.calls.get('touch') ?? 0;
      const reads = storeA.calls.get('read') ?? storeA.calls.get('get') ?? 0;
      console.log(`${name}: 300 requests over 10 minutes -> ${touches} touches, ${reads} reads`);
      expect(touches).toBeGreaterThanOrEqual(9);
      expect(touches).toBeLessThanOrEqual(10);
      expect(reads).toBeLessThanOrEqual(11);
    });

    it('a store dump holds no plaintext secret', async () => {
      const { a, b, storeA } = await instances();
      const s = await b.signIn({ userId: 'c-dump', data: { n: 1 } });
      await cached(a, storeA, s.sessionToken);
      const secret = s.sessionToken.slice(23);
      const dump = await harness.dump();
      expect(dump).toContain(s.session.id);
      expect(dump).not.toContain(secret);
    });
  });
}
