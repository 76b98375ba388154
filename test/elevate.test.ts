// elevate is all-or-nothing: it loses to a concurrent sign-out of the old session, and a store failure
// leaves no orphan behind. It replaces a session, never adds one: at the per-user cap it evicts no other
// device and is not refused. Run on the memory store, a real Redis and a real PostgreSQL, each both as it is
// (the old session ends in the same atomic step as the insert: `replaceOnCreate`) and as a custom store
// without that, where the core falls back to two calls.
import { Redis } from 'ioredis';
import pg from 'pg';
import { createAuth, generateKey, memoryStore, type SessionStore } from '../src/entries/index.js';
import { postgresStore } from '../src/entries/postgres.js';
import { redisStore } from '../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres.js';
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

type Faulty = SessionStore & { failNext(method: 'create' | 'delete', n: number): void };

/**
 * The store with `create` or `delete` failing the next `n` times (an injected store fault); with `atomic: false`
 * it hides `replaceOnCreate`, as a custom store written before it would.
 */
function faulty(inner: SessionStore, atomic: boolean): Faulty {
  const failures = { create: 0, delete: 0 };
  const fail = (method: 'create' | 'delete'): void => {
    if (failures[method] > 0) {
      failures[method]--;
      throw new Error('connection reset');
    }
  };
  return Object.assign(Object.create(inner) as SessionStore, {
    replaceOnCreate: atomic ? inner.replaceOnCreate : undefined,
    failNext(method: 'create' | 'delete', n: number) {
      failures[method] = n;
    },
    async create(...args: Parameters<SessionStore['create']>) {
      fail('create');
      return inner.create(...args);
    },
    async delete(id: string) {
      fail('delete');
      return inner.delete(id);
    },
  });
}

const cookie = (name: string, token: string) => ({ method: 'GET', headers: { cookie: `${name}=${token}` } });

function elevateCases(name: string, makeStore: () => SessionStore) {
  for (const atomic of [true, false]) {
    describe(`elevate (${name}, ${atomic ? 'replaced in one step' : 'a store without replaceOnCreate'})`, () => {
      async function setup(session: { maxPerUser?: number | false; overLimit?: 'evict' | 'refuse' } = {}) {
        const g = gate();
        const store = faulty(makeStore(), atomic);
        const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, store, session, accessToken: { claims: g.claims } });
        return { auth, gate: g, store };
      }
      const user = (label: string): string => `${label}-${name}-${atomic}-${Math.random().toString(36).slice(2)}`;

      it('a signOut of the old session during elevate wins: elevate fails and no session is left', async () => {
        const { auth, gate: g } = await setup();
        const userId = user('race-1');
        const old = await auth.signIn({ userId, data: { role: 'user' } });
        const entered = g.arm();
        const elevating = codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }));
        await entered;
        await expect(auth.signOut(old.session.id)).resolves.toBe(true);
        g.open();
        expect(await elevating).toBe('session_invalid');
        await expect(auth.sessions.list(userId)).resolves.toEqual([]);
      });

      it('a signOutEverywhere during elevate wins: elevate fails and no session is left', async () => {
        const { auth, gate: g } = await setup({ maxPerUser: 2 });
        const userId = user('race-2');
        const old = await auth.signIn({ userId, data: { role: 'user' } });
        const entered = g.arm();
        const elevating = codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }));
        await entered;
        await expect(auth.signOutEverywhere(userId)).resolves.toBe(1);
        g.open();
        expect(await elevating).toBe('session_invalid');
        await expect(auth.sessions.list(userId)).resolves.toEqual([]);
      });

      for (const maxPerUser of [false, 2] as const) {
        it(`when the store fails during elevate (maxPerUser ${maxPerUser}), elevate answers 503, leaves no elevated orphan and the old session still works`, async () => {
          const { auth, store } = await setup({ maxPerUser });
          const userId = user('fault');
          const old = await auth.signIn({ userId, data: { role: 'user' } });
          // the call that would end the old session: the insert (one step, or after the delete), else the delete
          store.failNext(atomic || maxPerUser !== false ? 'create' : 'delete', 1);
          expect(await codeOf(auth.elevate(old.session.id, { data: { role: 'admin' } }))).toBe('store_unavailable');
          const left = await auth.sessions.list(userId);
          expect(left.map((s) => [s.id, s.data])).toEqual([[old.session.id, { role: 'user' }]]);
          expect((await auth.authenticate(cookie(auth.cookies.session, old.sessionToken)))?.sessionId).toBe(old.session.id);
          // a retry elevates it
          const next = await auth.elevate(old.session.id, { data: { role: 'admin' } });
          expect((await auth.sessions.list(userId)).map((s) => s.id)).toEqual([next.session.id]);
        });
      }

      for (const overLimit of ['evict', 'refuse'] as const) {
        it(`at maxPerUser 2 with two devices, elevating one leaves the other signed in (overLimit ${overLimit})`, async () => {
          const { auth } = await setup({ maxPerUser: 2, overLimit });
          const userId = user('cap');
          const phone = await auth.signIn({ userId, data: { role: 'user' }, meta: { label: 'phone' } });
          const laptop = await auth.signIn({ userId, data: { role: 'user' }, meta: { label: 'laptop' } });
          const elevated = await auth.elevate(laptop.session.id, { data: { role: 'admin' } });
          expect((await auth.authenticate(cookie(auth.cookies.session, phone.sessionToken)))?.sessionId).toBe(phone.session.id);
          expect((await auth.authenticate(cookie(auth.cookies.session, elevated.sessionToken)))?.data).toEqual({ role: 'admin' });
          expect(await codeOf(auth.authenticate(cookie(auth.cookies.session, laptop.sessionToken)))).toBe('session_invalid');
          expect((await auth.sessions.list(userId)).map((s) => s.id).sort()).toEqual([phone.session.id, elevated.session.id].sort());
          // and it is still a cap: a third device evicts (or is refused)
          const third = await codeOf(auth.signIn({ userId }));
          expect(third).toBe(overLimit === 'refuse' ? 'session_limit' : 'ok');
          expect(await auth.sessions.list(userId)).toHaveLength(2);
        });
      }
    });
  }
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

describe.skipIf(!postgresAvailable)('on PostgreSQL', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ ...server.config, max: 10 });
  });
  afterAll(async () => {
    await pool?.end();
    server?.stop();
  });
  elevateCases('postgres', () => postgresStore({ pool, table: `elevate_${++n}`, createTable: true, listen: false }));
});
