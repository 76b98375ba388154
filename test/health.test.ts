// auth.health(): the store by one bounded probe (never a rejection for a store failure), and the revocation
// channel's lag (null without one); on a real Redis, the lag once the heartbeat comes back and 'down' when frozen.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuth, generateKey, memoryStore, type SessionStore, type SigningKey } from '../src/entries/index.js';
import type { StoreBroadcast } from '../src/entries/store.js';
import { redisStore } from '../src/entries/redis.js';
import { brokenStore } from './security/support.js';
import { sleep } from './support/outcome.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';
import { record } from './support/tracing.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';
let key: SigningKey;
beforeAll(async () => {
  key = await generateKey('EdDSA');
});
afterEach(() => {
  vi.useRealTimers();
});

/** A memory store with a revocation channel whose lag the test sets. */
function channelStore(lag: { value: number }): SessionStore & { subscribers: number } {
  const inner = memoryStore();
  const store = {
    create: inner.create.bind(inner),
    get: inner.get.bind(inner),
    update: inner.update.bind(inner),
    touch: inner.touch.bind(inner),
    delete: inner.delete.bind(inner),
    listByUser: inner.listByUser.bind(inner),
    deleteByUser: inner.deleteByUser.bind(inner),
    subscribers: 0,
    subscribe(_listener: (message: StoreBroadcast | null) => void) {
      store.subscribers++;
      return () => void store.subscribers--;
    },
    broadcastLag: () => lag.value,
  };
  return store;
}

describe('auth.health()', () => {
  it('the memory store: up, and no revocation channel (null)', async () => {
    const auth = createAuth();
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: null });
  });

  it('a store whose calls reject: down, without a rejection', async () => {
    const broken = { on: true };
    const auth = createAuth({ store: brokenStore(memoryStore(), broken) });
    await expect(auth.health()).resolves.toEqual({ store: 'down', revocationLag: null });
    broken.on = false;
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: null });
  });

  it('a store that never answers: down once the bound has passed, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hung: SessionStore = { ...brokenStore(memoryStore(), { on: false }), get: () => new Promise(() => {}) };
    const auth = createAuth({ store: hung });
    let answer: unknown;
    void auth.health({ timeout: '250ms' }).then((value) => (answer = value));
    await vi.advanceTimersByTimeAsync(249);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toEqual({ store: 'down', revocationLag: null });
  });

  it('the probe is one store get of an id nobody holds, traced on latchkey:store', async () => {
    const rec = record();
    try {
      await createAuth().health();
    } finally {
      rec.unsubscribe();
    }
    expect(rec.events.map((e) => `${e.channel}:${e.event}:${e.context.method}`)).toEqual(['store:start:get', 'store:end:get', 'store:asyncStart:get', 'store:asyncEnd:get']);
  });

  it('with checkSession on a store with a channel: the lag as the store reports it, listening from the first probe', async () => {
    const lag = { value: Infinity };
    const store = channelStore(lag);
    const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store, accessToken: { checkSession: true } });
    expect(store.subscribers).toBe(0); // nothing opened at createAuth
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: Infinity }); // not yet confirmed
    expect(store.subscribers).toBe(1); // the probe opened it: a readiness route does not wait for a bearer request
    lag.value = 120;
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: 120 });
    expect(store.subscribers).toBe(1);
    await auth.close();
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: null });
  });

  it('checkSession and the cookie cache off: the channel is not this Auth\'s concern (null), and it opens none', async () => {
    const store = channelStore({ value: 5 });
    const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store, session: { cache: false } });
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: null });
    expect(store.subscribers).toBe(0);
  });

  it('checkSession off but the cookie cache on (the default with a channel): the lag is reported, the channel opened once', async () => {
    const store = channelStore({ value: 5 });
    const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store });
    await expect(auth.health()).resolves.toEqual({ store: 'up', revocationLag: 5 });
    await auth.health();
    expect(store.subscribers).toBe(1);
  });
});

describe.skipIf(!redisAvailable)('auth.health() on a real Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    server?.resume();
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  it('the lag falls under the heartbeat once confirmed; a frozen server is down within the command timeout and the lag grows', async () => {
    const client = new Redis(server.port, '127.0.0.1', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    clients.push(client);
    const store = redisStore({ client, heartbeat: '100ms', commandTimeout: '300ms' });
    const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store, accessToken: { checkSession: true } });
    try {
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      const first = await auth.health();
      expect(first.store).toBe('up');
      let lag = first.revocationLag;
      for (let i = 0; i < 200 && !(typeof lag === 'number' && lag < 300); i++) {
        await sleep(10);
        lag = (await auth.health()).revocationLag;
      }
      expect(lag).toBeLessThan(300);
      server.pause();
      const started = performance.now();
      const frozen = await auth.health({ timeout: '2s' });
      expect(frozen.store).toBe('down');
      expect(performance.now() - started).toBeLessThan(1500); // the store's own 300 ms bound ended the probe
      expect(frozen.revocationLag).toBeGreaterThan(200);
    } finally {
      server.resume();
      await auth.close();
      await store.close();
    }
  });
});
