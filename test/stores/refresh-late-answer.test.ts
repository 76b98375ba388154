// A late *answer*, not a late script: a TCP proxy in front of real Redis and real PostgreSQL delays the
// server's replies past `commandTimeout`. The rotation is stored on time, the app answers 503, and the client
// retries with the generation it holds. Under the evidence rule (stores/rules/refresh-step.ts) that retry is
// never theft, however late; a generation older than the last one used still is, every time.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, generateKey, isAuthError, type AuthEvent, type SessionStore } from '../../src/entries/index.js';
import { postgresStore } from '../../src/entries/postgres.js';
import { redisStore } from '../../src/entries/redis.js';
import { MINUTE, SECOND, testClock } from '../support/core.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startProxy, type TcpProxy } from '../support/proxy.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';

const TIMEOUT = 300;
const TIMEOUT_OPTION = `${TIMEOUT}ms`;

async function lateAnswerRun(store: SessionStore, proxy: TcpProxy, wait: number): Promise<void> {
  const clock = testClock(Date.now());
  const events: AuthEvent[] = [];
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.test', audience: 'web', store, now: clock.now, onEvent: (e) => void events.push(e), refreshToken: { reuseGrace: '10s' } });
  const signedIn = await auth.signIn({ userId: `late-${wait}` });
  proxy.delayReplies(TIMEOUT * 2);
  const lost = await auth.refresh({ refreshToken: signedIn.refreshToken }).then(
    () => null,
    (error: unknown) => (isAuthError(error) ? error.code : error),
  );
  expect(lost).toBe('store_unavailable');
  proxy.delayReplies(0);
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT * 3)); // the delayed reply has landed (and been dropped)
  expect((await auth.sessions.get(signedIn.session.id))?.id).toBe(signedIn.session.id);
  clock.advance(wait);
  // the honest retry with the generation the client holds
  const retried = await auth.refresh({ refreshToken: signedIn.refreshToken });
  expect(retried.accessToken).toBeTypeOf('string');
  expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([]);
  // the session carries on: the new token rotates; then the original generation is older than the last used
  const next = await auth.refresh({ refreshToken: retried.refreshToken });
  expect(next.refreshToken).not.toBe(retried.refreshToken);
  for (const late of [0, 10 * MINUTE]) {
    clock.advance(late);
    const replay = await auth.refresh({ refreshToken: signedIn.refreshToken }).then(
      () => 'accepted',
      (error: unknown) => (isAuthError(error) ? error.code : error),
    );
    expect(replay).toBe(late === 0 ? 'refresh_reused' : 'session_invalid'); // revoked by the first replay
  }
  expect(events.filter((e) => e.type === 'refresh_reused')).toHaveLength(1);
}

const WAITS = [1 * SECOND, 15 * SECOND, 10 * MINUTE];
const USERS = 25;
const FREEZE = 3000;

/**
 * The store's server frozen under load (SIGSTOP): every user's refresh answers 503 (some rotations commit when
 * the server wakes), then every user retries late with the token it holds: 0 refresh_reused, every session alive.
 */
async function frozenRun(store: SessionStore, freeze: () => void, thaw: () => void): Promise<void> {
  const clock = testClock(Date.now());
  const events: AuthEvent[] = [];
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.test', audience: 'web', store, now: clock.now, onEvent: (e) => void events.push(e), refreshToken: { reuseGrace: '10s' }, session: { maxPerUser: 5 } });
  const users = await Promise.all(Array.from({ length: USERS }, (_, i) => auth.signIn({ userId: `frozen-${i}-${Math.random()}` })));
  freeze();
  const during = await Promise.all(users.map((u) => auth.refresh({ refreshToken: u.refreshToken }).then(() => 'ok', (error: unknown) => (isAuthError(error) ? error.code : String(error)))));
  expect(during.every((code) => code === 'store_unavailable')).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, FREEZE));
  thaw();
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT * 2));
  clock.advance(15 * SECOND); // every user retries late, past the grace window
  const retried = await Promise.all(users.map((u) => auth.refresh({ refreshToken: u.refreshToken }).then(() => 'ok', (error: unknown) => (isAuthError(error) ? error.code : String(error)))));
  expect(retried).toEqual(users.map(() => 'ok'));
  expect(events.filter((e) => e.type === 'refresh_reused')).toEqual([]);
  for (const u of users) expect((await auth.sessions.get(u.session.id))?.id).toBe(u.session.id);
}

describe.skipIf(!redisAvailable)('late answers from Redis', () => {
  let server: RedisServer;
  let proxy: TcpProxy;
  let client: Redis;
  let store: ReturnType<typeof redisStore>;
  beforeAll(async () => {
    server = await startRedis();
    proxy = await startProxy(server.port);
    client = new Redis({ port: proxy.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    store = redisStore({ client, commandTimeout: TIMEOUT_OPTION });
  });
  afterAll(async () => {
    await store.close();
    client.disconnect();
    await proxy.close();
    await server.stop();
  });

  it('Redis: a rotation whose answer arrives after the deadline answers 503; the honest retry at 1 s, 15 s and 10 min gets 200, no event, the session alive', async () => {
    for (const wait of WAITS) await lateAnswerRun(store, proxy, wait);
  }, 30_000);

  it('Redis frozen under load: 25 users refresh (503), every one retries late: 0 refresh_reused, every session alive', async () => {
    await frozenRun(store, () => server.pause(), () => server.resume());
  }, 30_000);
});

describe.skipIf(!postgresAvailable)('late answers from PostgreSQL', () => {
  let server: PostgresServer;
  let proxy: TcpProxy;
  let pool: pg.Pool;
  let store: ReturnType<typeof postgresStore>;
  beforeAll(async () => {
    server = await startPostgres();
    const port = Number(new URL(server.url).port);
    proxy = await startProxy(port);
    pool = new pg.Pool({ connectionString: server.url.replace(`:${port}/`, `:${proxy.port}/`), max: 4 });
    store = postgresStore({ pool, createTable: true, commandTimeout: TIMEOUT_OPTION });
    await store.ready();
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await pool.end();
    await proxy.close();
    server.stop();
  });

  it('PostgreSQL: a rotation whose answer arrives after the deadline answers 503; the honest retry at 1 s, 15 s and 10 min gets 200, no event, the session alive', async () => {
    for (const wait of WAITS) await lateAnswerRun(store, proxy, wait);
  }, 30_000);

  it('PostgreSQL frozen under load (SIGSTOP): 25 users refresh (503), every one retries late: 0 refresh_reused, every session alive', async () => {
    await frozenRun(store, () => server.pause(), () => server.resume());
  }, 30_000);
});
