// The session cache (src/core/session-cache.ts) on its own: what it holds, when it may answer, and the read
// that races a revocation. The store is a custom store with a channel (the memory store's records, reached
// through `get` only, and a broadcast the test sends), so each message and each read lands when the test says.
// Two instances on a real Redis and PostgreSQL: test/stores/session-cache-*.test.ts.
import { createAuth, memoryStore, type AuthRequest } from '../src/entries/index.js';
import type { SessionStore, StoreBroadcast } from '../src/entries/store.js';
import { createContext, type Context } from '../src/core/context.js';
import { resolveOptions, type AuthOptions } from '../src/core/options.js';
import { authenticate } from '../src/flows/authenticate.js';
import { signIn } from '../src/flows/sign-in.js';
import { describe, expect, it } from 'vitest';

/** A store with a channel: the memory store's records, `get` held back while `hold` is set, a broadcast the test sends. */
function channelStore() {
  const inner = memoryStore();
  const listeners = new Set<(message: StoreBroadcast | null) => void>();
  const state = { lag: 0, reads: 0, hold: null as Promise<void> | null };
  const store: SessionStore = {
    create: (record, options) => inner.create(record, options),
    async get(id) {
      state.reads += 1;
      const record = await inner.get(id);
      if (state.hold) await state.hold;
      return record;
    },
    update: (record, version) => inner.update(record, version),
    touch: (id, activity) => inner.touch(id, activity),
    delete: (id) => inner.delete(id),
    listByUser: (userId) => inner.listByUser(userId),
    deleteByUser: (userId, options) => inner.deleteByUser(userId, options),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    broadcastLag: () => state.lag,
  };
  const send = (message: StoreBroadcast | null): void => listeners.forEach((listener) => listener(message));
  return { store, state, send, listening: () => listeners.size };
}

function context(store: SessionStore, options: AuthOptions = {}): Context {
  return createContext(resolveOptions({ cookies: { secure: false }, ...options }), store);
}

const request = (ctx: Context, token: string): AuthRequest => ({ method: 'GET', headers: { cookie: `${ctx.options.cookies.sessionName}=${token}` } });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('the session cache', () => {
  it('answers a cookie from memory once read, and still refuses a wrong secret for it', async () => {
    const { store, state } = channelStore();
    const ctx = context(store);
    const s = await signIn(ctx, null, { userId: 'u1', data: { role: 'admin' } });
    expect((await authenticate(ctx, null, request(ctx, s.sessionToken)))?.data).toEqual({ role: 'admin' });
    const reads = state.reads;
    for (let i = 0; i < 5; i++) expect((await authenticate(ctx, null, request(ctx, s.sessionToken)))?.userId).toBe('u1');
    expect(state.reads).toBe(reads);
    const wrong = `${s.sessionToken.slice(0, 23)}${'A'.repeat(43)}`;
    expect(await code(authenticate(ctx, null, request(ctx, wrong)))).toBe('session_invalid');
    expect(state.reads).toBe(reads); // refused by the hash comparison on the cached record
  });

  it('holds the record with its secret hash, never the cookie or its secret', async () => {
    const { store } = channelStore();
    const ctx = context(store);
    const s = await signIn(ctx, null, { userId: 'u-dump', data: { n: 1 } });
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    const dump = JSON.stringify(ctx.cache.records());
    expect(ctx.cache.records()).toHaveLength(1);
    expect(dump).toContain(s.session.id);
    expect(dump).toContain((await store.get(s.session.id))!.secretHash);
    expect(dump).not.toContain(s.sessionToken.slice(23));
    expect(dump).not.toContain('"version"');
    expect(Object.isFrozen(ctx.cache.records()[0])).toBe(true);
  });

  it('a read in flight when its session is revoked or changed is not cached (the reply can arrive after the message)', async () => {
    const { store, state, send } = channelStore();
    const ctx = context(store);
    const gone = await signIn(ctx, null, { userId: 'u-race' });
    const changed = await signIn(ctx, null, { userId: 'u-race-2' });
    let release!: () => void;
    state.hold = new Promise((resolve) => (release = resolve));
    const first = authenticate(ctx, null, request(ctx, gone.sessionToken));
    const second = authenticate(ctx, null, request(ctx, changed.sessionToken));
    await Promise.resolve();
    send({ revoked: [gone.session.id], changed: [changed.session.id] });
    state.hold = null;
    release();
    expect(await code(first)).toBe('ok'); // live when the store read it
    expect(await code(second)).toBe('ok');
    expect(ctx.cache.records()).toEqual([]);
    const reads = state.reads;
    expect(await code(authenticate(ctx, null, request(ctx, gone.sessionToken)))).toBe('session_invalid'); // ended: no read
    expect(state.reads).toBe(reads);
    expect(await code(authenticate(ctx, null, request(ctx, changed.sessionToken)))).toBe('ok'); // read again
    expect(state.reads).toBe(reads + 1);
  });

  it('reads the store, and drops everything, while the channel is past the bound or may have missed messages', async () => {
    const { store, state, send } = channelStore();
    const ctx = context(store, { session: { cache: { maxRevocationDelay: '1s' } } });
    const s = await signIn(ctx, null, { userId: 'u-trust' });
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    expect(ctx.cache.records()).toHaveLength(1);
    state.lag = 1001;
    const reads = state.reads;
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    expect(state.reads).toBe(reads + 2);
    expect(ctx.cache.records()).toEqual([]);
    state.lag = 0;
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    expect(ctx.cache.records()).toHaveLength(1);
    send(null);
    expect(ctx.cache.records()).toEqual([]);
  });

  it('is bounded by count and by bytes, dropping the least recently used', async () => {
    const { store } = channelStore();
    const ctx = context(store, { session: { cache: { max: 3 } } });
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push((await signIn(ctx, null, { userId: `u-max-${i}` })).sessionToken);
    for (const token of tokens) await authenticate(ctx, null, request(ctx, token));
    expect(ctx.cache.records().map((r) => r.userId)).toEqual(['u-max-2', 'u-max-3', 'u-max-4']);
    await authenticate(ctx, null, request(ctx, tokens[2]!)); // the oldest held is used again: it is kept, the next oldest goes
    await authenticate(ctx, null, request(ctx, (await signIn(ctx, null, { userId: 'u-max-5' })).sessionToken));
    expect(ctx.cache.records().map((r) => r.userId).sort()).toEqual(['u-max-2', 'u-max-4', 'u-max-5']);
    const small = context(store, { session: { cache: { maxBytes: 8192 } } });
    for (let i = 0; i < 5; i++) {
      const s = await signIn(small, null, { userId: `u-bytes-${i}`, data: { blob: 'x'.repeat(1000) } });
      await authenticate(small, null, request(small, s.sessionToken));
    }
    const held = small.cache.records();
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThan(5);
    expect(held.reduce((sum, r) => sum + 2 * JSON.stringify(r).length + 256, 0)).toBeLessThanOrEqual(8192);
  });

  it('session.cache: false reads the store on every cookie request; a sign-out here is refused at once either way', async () => {
    const { store, state } = channelStore();
    const off = context(store, { session: { cache: false } });
    const s = await signIn(off, null, { userId: 'u-off' });
    const reads = state.reads;
    for (let i = 0; i < 3; i++) await authenticate(off, null, request(off, s.sessionToken));
    expect(state.reads).toBe(reads + 3);
    expect(off.cache.records()).toEqual([]);
    const auth = createAuth({ store, cookies: { secure: false } });
    const t = await auth.signIn({ userId: 'u-on' });
    const req = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${t.sessionToken}` } };
    await auth.authenticate(req);
    await auth.authenticate(req);
    await auth.signOut(t.session.id);
    expect(await code(auth.authenticate(req))).toBe('session_invalid');
    await auth.close();
  });

  it('the memory store needs none: no channel, nothing cached, nothing subscribed', async () => {
    const ctx = context(memoryStore());
    expect(ctx.cache.forCookies).toBe(false);
    const s = await signIn(ctx, null, { userId: 'u-mem' });
    await authenticate(ctx, null, request(ctx, s.sessionToken));
    expect(ctx.cache.records()).toEqual([]);
  });

  it('subscribes at the first cookie check, not before, and close() unsubscribes', async () => {
    const { store, listening } = channelStore();
    const auth = createAuth({ store, cookies: { secure: false } });
    const s = await auth.signIn({ userId: 'u-sub' });
    expect(listening()).toBe(0);
    await auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${s.sessionToken}` } });
    expect(listening()).toBe(1);
    await auth.close();
    expect(listening()).toBe(0);
  });

  it('options: session.cache is false or { max, maxBytes, maxRevocationDelay }; anything else says what to change', () => {
    const { store } = channelStore();
    const bad: [unknown, RegExp][] = [
      [true, /session\.cache must be false .* or an object/],
      ['on', /session\.cache must be false/],
      [{ size: 10 }, /unknown option session\.cache\.size; expected one of max, maxBytes, maxRevocationDelay/],
      [{ max: 0 }, /session\.cache\.max must be a whole number of records \(at least 1\)/],
      [{ max: 1.5 }, /session\.cache\.max must be a whole number/],
      [{ maxBytes: 100 }, /session\.cache\.maxBytes must be a whole number of bytes \(at least 4096\)/],
      [{ maxRevocationDelay: 0 }, /session\.cache\.maxRevocationDelay must be greater than zero/],
    ];
    for (const [cache, message] of bad) expect(() => createAuth({ store, session: { cache: cache as false } })).toThrow(message);
    expect(resolveOptions({}).sessionCache).toEqual({ cookies: true, max: 10_000, maxBytes: 16 * 1024 * 1024, maxRevocationDelay: 2000 });
    expect(resolveOptions({ session: { cache: { max: 5, maxRevocationDelay: '500ms' } } }).sessionCache).toMatchObject({ cookies: true, max: 5, maxRevocationDelay: 500 });
    expect(resolveOptions({ session: { cache: false } }).sessionCache.cookies).toBe(false);
  });
});
