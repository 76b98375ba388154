// auth.watch (src/core/session-watch.ts) on its own: each reason, where it is learnt, the channel's silence, the
// wire form of a reason (old payloads still understood), bad input, and memory over many watch/unwatch cycles.
// Two instances on a real Redis and PostgreSQL, through a ws server: test/security/websocket-watch.test.ts.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createAuth, generateKey, memoryStore, type Auth, type SessionEndReason, type WatchReason } from '../src/entries/index.js';
import type { SessionStore, StoreBroadcast } from '../src/entries/store.js';
import { createContext } from '../src/core/context.js';
import { resolveOptions } from '../src/core/options.js';
import { signIn } from '../src/flows/sign-in.js';
import { decode } from '../src/stores/redis/broadcast.js';
import { parsePayload } from '../src/stores/postgres/broadcast.js';
import { splitReason } from '../src/stores/end-reason.js';
import { SECOND, testClock } from './support/core.js';

const KEYS = { issuer: 'https://api.example.com', audience: 'web' };

/** Collects what one watch reports, and resolves at its first call. */
function recorder() {
  const reasons: string[] = [];
  let resolve!: (reason: string) => void;
  const first = new Promise<string>((r) => (resolve = r));
  return {
    reasons,
    first,
    onEnd: (reason: string) => {
      reasons.push(reason);
      resolve(reason);
    },
  };
}

/** A store with a channel the test drives: the memory store's records, a broadcast the test sends, a lag it sets. */
function channelStore() {
  const inner = memoryStore();
  const listeners = new Set<(message: StoreBroadcast | null) => void>();
  const state = { lag: 0, subscribes: 0, reading: 0, mostReading: 0 };
  const store: SessionStore = {
    create: (record, options) => inner.create(record, options),
    async get(id) {
      state.mostReading = Math.max(state.mostReading, ++state.reading);
      await new Promise((resolve) => setImmediate(resolve));
      state.reading -= 1;
      return inner.get(id);
    },
    update: (record, version) => inner.update(record, version),
    touch: (id, activity) => inner.touch(id, activity),
    delete: (id) => inner.delete(id), // drops the reason: a custom store that predates it
    listByUser: (userId) => inner.listByUser(userId),
    deleteByUser: (userId, options) => inner.deleteByUser(userId, options),
    subscribe(listener) {
      state.subscribes += 1;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    broadcastLag: () => state.lag,
  };
  const send = (message: StoreBroadcast | null): void => listeners.forEach((listener) => listener(message));
  return { store, inner, state, send, listening: () => listeners.size };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('auth.watch: each reason, learnt where the session ended', () => {
  it('a sign-out here ends the watch once with signed_out; the stop function after it does nothing', async () => {
    const auth = createAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    const stop = auth.watch(session.id, r.onEnd);
    await auth.signOut(session.id);
    expect(await r.first).toBe('signed_out');
    await auth.signOut(session.id);
    stop();
    await flush();
    expect(r.reasons).toEqual(['signed_out']);
    await auth.close();
  });

  it('every watch of the session is told (several sockets of one browser); a stopped one is not', async () => {
    const auth = createAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    const [a, b, c] = [recorder(), recorder(), recorder()];
    auth.watch(session.id, a.onEnd);
    auth.watch(session.id, b.onEnd);
    auth.watch(session.id, c.onEnd)();
    await auth.signOut(session.id);
    await flush();
    expect([a.reasons, b.reasons, c.reasons]).toEqual([['signed_out'], ['signed_out'], []]);
    await auth.close();
  });

  it('signOutEverywhere ends the user\'s other sessions with revoked, not the one it keeps', async () => {
    const auth = createAuth();
    const one = await auth.signIn({ userId: 'u1' });
    const two = await auth.signIn({ userId: 'u1' });
    const [a, b] = [recorder(), recorder()];
    auth.watch(one.session.id, a.onEnd);
    auth.watch(two.session.id, b.onEnd);
    await flush(); // the first reads name the user
    await auth.signOutEverywhere('u1', { except: two.session.id });
    expect(await a.first).toBe('revoked');
    await flush();
    expect(b.reasons).toEqual([]);
    await auth.close();
  });

  it('a replayed refresh generation ends the watch with refresh_reused', async () => {
    const auth = createAuth({ keys: [await generateKey('EdDSA')], ...KEYS });
    const signedIn = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    auth.watch(signedIn.session.id, r.onEnd);
    const next = await auth.refresh({ refreshToken: signedIn.refreshToken });
    await auth.refresh({ refreshToken: next.refreshToken }); // generation 0 is now older than the last one used
    await expect(auth.refresh({ refreshToken: signedIn.refreshToken })).rejects.toMatchObject({ code: 'refresh_reused' });
    expect(await r.first).toBe('refresh_reused');
    await auth.close();
  });

  it('eviction by the per-user cap and replacement by elevate end the watch with evicted', async () => {
    const auth = createAuth({ session: { maxPerUser: 1 } });
    const first = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    auth.watch(first.session.id, r.onEnd);
    const second = await auth.signIn({ userId: 'u1' });
    expect(await r.first).toBe('evicted');
    const e = recorder();
    auth.watch(second.session.id, e.onEnd);
    await auth.elevate(second.session.id);
    expect(await e.first).toBe('evicted');
    await auth.close();
  });

  it('reauthenticate ends the watch only when asked (onReauthenticate: true), with reauthenticated', async () => {
    const auth = createAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    const [plain, asked] = [recorder(), recorder()];
    auth.watch(session.id, plain.onEnd);
    auth.watch(session.id, asked.onEnd, { onReauthenticate: true });
    await flush();
    await auth.reauthenticate(session.id);
    expect(await asked.first).toBe('reauthenticated');
    await flush();
    expect(plain.reasons).toEqual([]);
    await auth.close();
  });

  it('idle expiry ends the watch with expired without any request (one unref\'d timer per watch, injected clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const clock = testClock();
    const auth = createAuth({ now: clock.now, session: { idleTimeout: '30s', touchEvery: '5s' } });
    const { session } = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    auth.watch(session.id, r.onEnd);
    await vi.advanceTimersByTimeAsync(0);
    clock.advance(29 * SECOND);
    await vi.advanceTimersByTimeAsync(29 * SECOND);
    expect(r.reasons).toEqual([]);
    clock.advance(2 * SECOND);
    await vi.advanceTimersByTimeAsync(2 * SECOND);
    expect(r.reasons).toEqual(['expired']);
    await auth.close();
  });

  it('activity elsewhere moves the idle expiry: the timer reads the record again and waits for the new one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const clock = testClock();
    const auth = createAuth({ now: clock.now, session: { idleTimeout: '30s', touchEvery: '5s' } });
    const signedIn = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    auth.watch(signedIn.session.id, r.onEnd);
    await vi.advanceTimersByTimeAsync(0);
    clock.advance(20 * SECOND);
    await auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${signedIn.sessionToken}` } }); // a touch: idle expiry now +30 s
    clock.advance(15 * SECOND);
    await vi.advanceTimersByTimeAsync(35 * SECOND);
    expect(r.reasons).toEqual([]);
    clock.advance(16 * SECOND);
    await vi.advanceTimersByTimeAsync(16 * SECOND);
    expect(r.reasons).toEqual(['expired']);
    await auth.close();
  });

  it('a session that ended just before the watch started is reported with the reason heard, else revoked', async () => {
    const auth = createAuth();
    const one = await auth.signIn({ userId: 'u1' });
    await auth.signOut(one.session.id);
    const r = recorder();
    auth.watch(one.session.id, r.onEnd);
    expect(r.reasons).toEqual([]); // never called before watch returns
    expect(await r.first).toBe('signed_out');
    const other = createAuth();
    const unknown = recorder();
    other.watch('A'.repeat(22), unknown.onEnd);
    expect(await unknown.first).toBe('revoked');
    await Promise.all([auth.close(), other.close()]);
  });

  it('two Auths on one memory store (no channel): an end on one reaches the other\'s watches in-process', async () => {
    const store = memoryStore();
    const [a, b] = [createAuth({ store }), createAuth({ store })];
    const { session } = await a.signIn({ userId: 'u1' });
    const r = recorder();
    a.watch(session.id, r.onEnd);
    await b.signOut(session.id);
    expect(await r.first).toBe('signed_out');
    await Promise.all([a.close(), b.close(), store.close()]);
  });
});

describe('auth.watch over a store channel', () => {
  it('shares the session cache\'s one subscription, opened at the first watch even with the cache off', async () => {
    const { store, state, listening } = channelStore();
    const auth = createAuth({ store, session: { cache: false } });
    const { session } = await auth.signIn({ userId: 'u1' });
    expect(listening()).toBe(0);
    const stops = [auth.watch(session.id, () => {}), auth.watch(session.id, () => {})];
    await auth.authenticate({ method: 'GET', headers: {} });
    expect([state.subscribes, listening()]).toEqual([1, 1]);
    stops.forEach((stop) => stop());
    await auth.close();
    expect(listening()).toBe(0);
  });

  it('a broadcast revocation carries its reason; without one (an older sender) the watch says revoked', async () => {
    const { store, inner, send } = channelStore();
    const auth = createAuth({ store });
    const [one, two] = [await auth.signIn({ userId: 'u1' }), await auth.signIn({ userId: 'u2' })];
    const [a, b] = [recorder(), recorder()];
    auth.watch(one.session.id, a.onEnd);
    auth.watch(two.session.id, b.onEnd);
    send({ revoked: [one.session.id], changed: [], reason: 'refresh_reused' });
    send({ revoked: [two.session.id], changed: [] });
    expect([await a.first, await b.first]).toEqual(['refresh_reused', 'revoked']);
    await Promise.all([auth.close(), inner.close()]);
  });

  it('a users message (every session of a user ended) and a missed-messages null read the watched records again', async () => {
    const { store, inner, send } = channelStore();
    const auth = createAuth({ store });
    const [one, two] = [await auth.signIn({ userId: 'u1' }), await auth.signIn({ userId: 'u2' })];
    const [a, b] = [recorder(), recorder()];
    auth.watch(one.session.id, a.onEnd);
    auth.watch(two.session.id, b.onEnd);
    await flush();
    await inner.deleteByUser('u1'); // on another instance: no id was heard here
    send({ revoked: [], changed: [], users: ['u1'] });
    expect(await a.first).toBe('revoked');
    await inner.delete(two.session.id);
    send(null);
    expect(await b.first).toBe('revoked');
    await Promise.all([auth.close(), inner.close()]);
  });

  it('after missed messages (null) every watched session is read again, at most 32 reads at once', async () => {
    const { store, inner, state, send } = channelStore();
    const auth = createAuth({ store });
    const sessions = await Promise.all(Array.from({ length: 200 }, (_, i) => auth.signIn({ userId: `u${i}` })));
    const ended: string[] = [];
    for (const { session } of sessions) auth.watch(session.id, (reason) => ended.push(reason));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const { session } of sessions.slice(0, 50)) await inner.delete(session.id); // unheard
    state.mostReading = 0;
    send(null);
    const by = Date.now() + 5000;
    while (ended.length < 50 && Date.now() < by) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ended).toEqual(Array(50).fill('revoked'));
    expect(state.mostReading).toBeLessThanOrEqual(32);
    await Promise.all([auth.close(), inner.close()]);
  });

  it('a read that finds the session gone before the ender\'s message arrives waits for the channel: the reason heard wins over revoked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const { store, inner, state, send } = channelStore();
    const auth = createAuth({ store, session: { cache: { maxRevocationDelay: '1s' } } });
    const [one, two, three] = [await auth.signIn({ userId: 'u1' }), await auth.signIn({ userId: 'u2' }), await auth.signIn({ userId: 'u3' })];
    const [a, b, c] = [recorder(), recorder(), recorder()];
    auth.watch(one.session.id, a.onEnd);
    auth.watch(two.session.id, b.onEnd);
    await vi.advanceTimersByTimeAsync(100);
    state.lag = 600; // the newest heartbeat seen back left 600 ms ago: nothing sent after the read below is confirmed yet
    await Promise.all([inner.delete(one.session.id), inner.delete(two.session.id)]); // deleted on another instance; its messages are on their way
    send(null); // a gap: every watched record is read again, and both are found gone
    await vi.advanceTimersByTimeAsync(300);
    expect([a.reasons, b.reasons]).toEqual([[], []]); // not 'revoked' yet: the channel has not caught up with the reads
    send({ revoked: [one.session.id], changed: [], reason: 'refresh_reused' });
    expect(a.reasons).toEqual(['refresh_reused']);
    state.lag = 0; // a heartbeat sent after the reads came back: any message sent before it has arrived, and none named two
    await vi.advanceTimersByTimeAsync(250);
    expect(b.reasons).toEqual(['revoked']);
    auth.watch(three.session.id, c.onEnd);
    await vi.advanceTimersByTimeAsync(10);
    state.lag = Infinity; // the channel is down: the wait is bounded by maxRevocationDelay
    await inner.delete(three.session.id);
    send(null);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.reasons).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(c.reasons).toEqual(['revoked']);
    const four = await auth.signIn({ userId: 'u4' });
    const d = recorder();
    auth.watch(four.session.id, d.onEnd);
    await vi.advanceTimersByTimeAsync(10);
    state.lag = 600; // not confirmed since: a read after a users message still says revoked at once, it knows why
    await inner.deleteByUser('u4');
    send({ revoked: [], changed: [], users: ['u4'] });
    await vi.advanceTimersByTimeAsync(5); // less than one watchdog look
    expect(d.reasons).toEqual(['revoked']);
    await Promise.all([auth.close(), inner.close()]);
  });

  it('a channel silent past maxRevocationDelay ends the watch with unconfirmed (fail closed)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const { store, inner, state } = channelStore();
    const auth = createAuth({ store, session: { cache: { maxRevocationDelay: '1s' } } });
    const { session } = await auth.signIn({ userId: 'u1' });
    const r = recorder();
    auth.watch(session.id, r.onEnd);
    await vi.advanceTimersByTimeAsync(2000);
    expect(r.reasons).toEqual([]); // confirmed: nothing to say
    state.lag = Infinity; // the last confirmation was seen at the watchdog's last look (2000 ms)
    await vi.advanceTimersByTimeAsync(500);
    expect(r.reasons).toEqual([]);
    await vi.advanceTimersByTimeAsync(500); // told by the bound (1 s): the watchdog looks every 250 ms and speaks one look early
    expect(r.reasons).toEqual(['unconfirmed']);
    await Promise.all([auth.close(), inner.close()]);
  });

  it('with onUnconfirmed the watch goes on, is told once, and is read again once the channel is confirmed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const { store, inner, state } = channelStore();
    const auth = createAuth({ store, session: { cache: { maxRevocationDelay: '1s' } } });
    const [one, two] = [await auth.signIn({ userId: 'u1' }), await auth.signIn({ userId: 'u1' })];
    const told: number[] = [];
    const [a, b] = [recorder(), recorder()];
    auth.watch(one.session.id, a.onEnd, { onUnconfirmed: (lag) => told.push(lag) });
    auth.watch(two.session.id, b.onEnd, { onUnconfirmed: () => {} });
    await vi.advanceTimersByTimeAsync(100);
    state.lag = Infinity;
    await vi.advanceTimersByTimeAsync(3000);
    expect(told).toEqual([Infinity]);
    await inner.delete(one.session.id); // unheard: the channel is down
    state.lag = 0;
    await vi.advanceTimersByTimeAsync(300); // the next look reads both again: one is gone, its reason not heard
    expect([a.reasons, b.reasons]).toEqual([[], []]);
    await vi.advanceTimersByTimeAsync(250); // the look after: the channel confirmed past that read, and no reason came
    expect([a.reasons, b.reasons]).toEqual([['revoked'], []]);
    await Promise.all([auth.close(), inner.close()]);
  });
});

describe('the reason on the wire', () => {
  it('Redis: ids then ~reason; a bare list (an older sender) has none; an unknown ~element is dropped', () => {
    expect(decode('a,b,~signed_out')).toEqual({ revoked: ['a', 'b'], changed: [], reason: 'signed_out' });
    expect(decode('a,b')).toEqual({ revoked: ['a', 'b'], changed: [] });
    expect(decode('a,~from_the_future')).toEqual({ revoked: ['a'], changed: [] });
    expect(decode('~c:a')).toEqual({ revoked: [], changed: ['a'] });
    expect(decode('~u:42')).toEqual({ revoked: [], changed: [], users: ['42'] });
  });

  it('PostgreSQL: r:ids then ~reason, and r:ids as before', () => {
    expect(parsePayload('r:a,~evicted')).toEqual({ revoked: ['a'], changed: [], reason: 'evicted' });
    expect(parsePayload('r:a,b')).toEqual({ revoked: ['a', 'b'], changed: [] });
    expect(parsePayload('c:a')).toEqual({ revoked: [], changed: ['a'] });
  });

  it('a receiver that predates reasons reads the ~reason element as the id of no session (it revokes nothing)', () => {
    const old = (message: string) => message.split(',').filter((id) => id !== ''); // the 0.x decoder of a revocation
    expect(old('a,~expired')).toEqual(['a', '~expired']);
    expect(splitReason(old('a,~expired'))).toEqual({ ids: ['a'], reason: 'expired' });
  });
});

describe('auth.watch input and memory', () => {
  it('refuses a non-session-id, a non-function and bad options with a TypeError that says what to pass', async () => {
    const auth = createAuth();
    const { session } = await auth.signIn({ userId: 'u1' });
    const watch = auth.watch as (...args: unknown[]) => () => void;
    expect(() => watch('nope', () => {})).toThrow(TypeError);
    expect(() => watch(42, () => {})).toThrow(/session id/);
    expect(() => watch(session.id, 'close')).toThrow(/takes a function/);
    expect(() => watch(session.id, () => {}, { onReauthenticate: 'yes' })).toThrow(/true or false/);
    expect(() => watch(session.id, () => {}, { onUnconfirmed: true })).toThrow(/must be a function/);
    expect(() => watch(session.id, () => {}, { unknown: 1 })).toThrow(/unknown option auth.watch unknown/);
    await auth.close();
    expect(() => auth.watch(session.id, () => {})).toThrow(/closed Auth/);
  });

  it('the reason is typed by the options', () => {
    const auth = {} as Auth<false>;
    expectTypeOf<WatchReason>().toEqualTypeOf<SessionEndReason | 'unconfirmed'>();
    expectTypeOf<WatchReason<{ onReauthenticate: true }>>().toEqualTypeOf<SessionEndReason | 'unconfirmed' | 'reauthenticated'>();
    expectTypeOf<WatchReason<{ onUnconfirmed: (lag: number) => void }>>().toEqualTypeOf<SessionEndReason>();
    if (false as boolean) {
      auth.watch('x', (reason) => expectTypeOf(reason).toEqualTypeOf<SessionEndReason | 'unconfirmed'>());
      auth.watch('x', (reason) => expectTypeOf(reason).toEqualTypeOf<SessionEndReason | 'unconfirmed' | 'reauthenticated'>(), { onReauthenticate: true });
      auth.watch('x', (reason) => expectTypeOf(reason).toEqualTypeOf<SessionEndReason>(), { onUnconfirmed: () => {} });
      auth.watch('x', (reason) => expectTypeOf(reason).toEqualTypeOf<SessionEndReason>(), { onReauthenticate: false, onUnconfirmed: (lag) => expectTypeOf(lag).toEqualTypeOf<number>() });
      auth.watch('x', (reason) => expectTypeOf(reason).toEqualTypeOf<SessionEndReason | 'reauthenticated'>(), { onReauthenticate: true, onUnconfirmed: () => {} });
    }
  });

  it('stays flat over 100k watch/unwatch cycles: every map and timer released, heap within a bound', async () => {
    const { store, inner } = channelStore();
    const ctx = createContext(resolveOptions({ cookies: { secure: false } }), store);
    const { session } = await signIn(ctx, null, { userId: 'u1' });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void; // a real collection, whatever flags the worker got
    const cycle = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const stop = ctx.watch.watch(session.id, () => {});
        if (i % 2 === 0) await flush(); // half of them read their record and arm their timer first
        stop();
        if (i % 1000 === 0) await flush();
      }
      await flush();
    };
    await cycle(2_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    await cycle(100_000);
    expect(ctx.watch.sizes()).toEqual({ watches: 0, sessions: 0, users: 0, timers: 0, suspects: 0, unread: 0, queued: 0, vanished: 0 });
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(2 * 1024 * 1024); // 100k watches left behind would hold many MB (a watch, its stop closure, its timer)
    if (process.env.WATCH_HEAP) console.log(`heap delta after 100k watch/unwatch cycles: ${grown} bytes`);
    ctx.watch.close();
    ctx.check.close();
    await inner.close();
  }, 60_000);
});
