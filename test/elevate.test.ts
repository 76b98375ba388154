// elevate is all-or-nothing: it loses to a concurrent sign-out of the old session, and a store failure
// leaves no orphan behind. Run on the memory store and on a real Redis.
import { Redis } from 'ioredis';
import { createAuth, generateKey, memoryStore, type SessionStore } from '../src/entries/index.js';
import { redisStore } from '../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';
import { AUDIENCE, ISSUER } from './support/core.js';
import { codeOf } from './support/outcome.js';

/** A claims hook that waits at a gate while `hold` is set, so a test can run a sign-out inside an elevate. */
function gate() {
  let hold = false;
  let entered: () => void = () => {};
  let release: () => void = () => {};
  return {
    arm(): Promise<void> {
      hold = true;
      return new Promise((resolve) => (entered = resolve));
    },
    open: () => release(),
    claims: async () => {
      if (!hold) return {};
      hold = false;
      await new Promise<void>((resolve) => {
        release = resolve;
        entered();
      });
      return {};
    },
  };
}

/** The store with `delete` failing the next `n` times (an injected store fault). */
function failingDeletes(inner: SessionStore): SessionStore & { failNext(n: number): void } {
  let failures = 0;
  return Object.assign(Object.create(inner) as SessionStore, {
    failNext(n: number) {
      failures = n;
    },
    async delete(id: string) {
      if (failures > 0) {
        failures--;
        throw new Error('connection reset');
      }
      return inner.delete(id);
    },
  });
}

function elevateCases(name: string, makeStore: () => SessionStore) {
  describe(`elevate is all-or-nothing (${name})`, () => {
    async function setup() {
      const g = gate();
      const store = failingDeletes(makeStore());
      const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, store, accessToken: { claims: g.claims } });
      return { auth, gate: g, store };
    }

    it('a signOut of the old session during elevate wins: elevate fails and no session is left', async () => {
      const { auth, gate: g } = await setup();
      const old = await auth.signIn({ userId: 'race-1', data: { role: 'user' } });
      const entered = g.arm();
      const elevating = codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }));
      await entered;
      await expect(auth.signOut(old.session.id)).resolves.toBe(true);
      g.open();
      expect(await elevating).toBe('session_invalid');
      await expect(auth.sessions.list('race-1')).resolves.toEqual([]);
    });

    it('a signOutEverywhere during elevate wins: elevate fails and no session is left', async () => {
      const { auth, gate: g } = await setup();
      const old = await auth.signIn({ userId: 'race-2', data: { role: 'user' } });
      const entered = g.arm();
      const elevating = codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }));
      await entered;
      await expect(auth.signOutEverywhere('race-2')).resolves.toBe(1);
      g.open();
      expect(await elevating).toBe('session_invalid');
      await expect(auth.sessions.list('race-2')).resolves.toEqual([]);
    });

    it('when ending the old session fails, elevate answers 503 and leaves no elevated orphan', async () => {
      const { auth, store } = await setup();
      const old = await auth.signIn({ userId: 'fault-1', data: { role: 'user' } });
      store.failNext(1);
      expect(await codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }))).toBe('store_unavailable');
      const left = await auth.sessions.list('fault-1');
      expect(left.map((s) => [s.id, s.data])).toEqual([[old.session.id, { role: 'user' }]]);
      // the old session still works, and a retry elevates it
      const next = await auth.elevate(old.session.id, { data: { role: 'admin' } });
      expect((await auth.sessions.list('fault-1')).map((s) => s.id)).toEqual([next.session.id]);
    });
  });
}

elevateCases('memory', () => memoryStore());

describe.skipIf(!redisAvailable)('on Redis', () => {
  let server: RedisServer;
  let client: Redis;
  let n = 0;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  elevateCases('redis', () => redisStore({ client, prefix: `e${++n}:` }));
});
