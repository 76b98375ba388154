// PostgreSQL faults, injected on a real server: a crash under load (`pg_ctl stop -m immediate`), a row lock
// held by another transaction, an exhausted pool. Every call ends in store_unavailable (503) within the
// timeout, nothing crashes, no promise is left unhandled, and service resumes with every committed session.
import pg from 'pg';
import { createAuth, generateKey, type Auth, type SignInResult } from '../../src/entries/index.js';
import { postgresStore } from '../../src/entries/postgres.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';
import { outcome, sleep } from '../support/outcome.js';

const TIMEOUT = 400;

const cookie = (auth: Pick<Auth, 'cookies'>, token: string) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });

describe.skipIf(!postgresAvailable)('PostgreSQL faults', () => {
  let server: PostgresServer;
  const pools: pg.Pool[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };
  const newPool = (max = 10): pg.Pool => {
    const pool = new pg.Pool({ ...server.config, max, connectionTimeoutMillis: 5000 });
    pool.on('error', () => {}); // an app logs these; the store reports failures as store_unavailable
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    server = await startPostgres();
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
    server?.stop();
  });

  it('a crash under load fails calls closed within the timeout; after restart every committed session authenticates', async () => {
    const key = await generateKey('EdDSA');
    const store = postgresStore({ pool: newPool(), createTable: true, table: 'crash', commandTimeout: `${TIMEOUT}ms`, heartbeat: '100ms' });
    const auth = createAuth({ keys: [key], issuer: 'https://api.example.com', audience: 'web', store, accessToken: { checkSession: true } });
    const heard: unknown[] = [];
    const unsubscribe = store.subscribe!((m) => heard.push(m));
    const sessions: SignInResult[] = [];
    for (let i = 0; i < 30; i++) sessions.push(await auth.signIn({ userId: `crash-${i % 5}`, data: { n: i } }));
    while (store.broadcastLag!() > 500) await sleep(20);

    // Traffic in flight when the server dies: each call either succeeds or fails closed.
    const load = Array.from({ length: 3 }, () => sessions.map((s) => outcome(() => auth.authenticate(cookie(auth, s.sessionToken))))).flat();
    server.crash();
    const during = await Promise.all(load);
    expect(during.every((o) => o.code === 'ok' || o.code === 'store_unavailable')).toBe(true);

    const s = sessions[0]!;
    const calls = [
      () => auth.authenticate(cookie(auth, s.sessionToken)),
      () => auth.refresh({ refreshToken: s.refreshToken }),
      () => auth.signIn({ userId: 'crash-new' }),
      () => auth.signOutEverywhere('crash-nobody'),
      () => auth.sessions.list('crash-2'),
      () => auth.verifyAccessToken(sessions[1]!.accessToken),
    ];
    const results = await Promise.all(calls.map((call) => outcome(call)));
    console.log(`postgres down -> ${results.map((r) => `${r.code} ${r.ms.toFixed(0)}ms`).join(', ')} (timeout ${TIMEOUT} ms)`);
    for (const r of results) {
      expect(r).toMatchObject({ code: 'store_unavailable', status: 503 });
      expect(r.ms).toBeLessThan(TIMEOUT + 200);
    }
    // The listener noticed: the revocation cache is no longer trusted.
    const lagBy = Date.now() + 3000;
    while (store.broadcastLag!() !== Infinity && Date.now() < lagBy) await sleep(20);
    expect(store.broadcastLag!()).toBe(Infinity);

    server.start();
    const deadline = Date.now() + 10_000;
    while ((await outcome(() => auth.authenticate(cookie(auth, s.sessionToken)))).code !== 'ok') {
      if (Date.now() > deadline) throw new Error('service did not resume within 10 s of PostgreSQL coming back');
      await sleep(50);
    }
    for (const x of sessions) expect((await outcome(() => auth.authenticate(cookie(auth, x.sessionToken)))).code).toBe('ok');
    expect((await auth.sessions.list('crash-3')).map((x) => x.data)).toEqual([{ n: 3 }, { n: 8 }, { n: 13 }, { n: 18 }, { n: 23 }, { n: 28 }]);
    expect((await auth.refresh({ refreshToken: sessions[4]!.refreshToken })).session.id).toBe(sessions[4]!.session.id);
    // The listener reconnects by itself and the health signal comes back.
    const backBy = Date.now() + 10_000;
    while (store.broadcastLag!() > 500 && Date.now() < backBy) await sleep(20);
    expect(store.broadcastLag!()).toBeLessThanOrEqual(500);
    expect(heard.filter((m) => m === null).length).toBeGreaterThanOrEqual(2);
    unsubscribe();
    await auth.close();
    await store.close();
    expect(rejections).toEqual([]);
  });

  it('a LISTEN connection whose backend freezes stops confirming: broadcastLag grows, then the store reconnects', async () => {
    const pool = newPool();
    const store = postgresStore({ pool, createTable: true, table: 'frozen', heartbeat: '100ms' });
    const unsubscribe = store.subscribe!(() => {});
    const upBy = Date.now() + 5000;
    while (store.broadcastLag!() > 300 && Date.now() < upBy) await sleep(20);
    expect(store.broadcastLag!()).toBeLessThanOrEqual(300);
    const { rows } = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'latchkey-listen'");
    expect(rows).toHaveLength(1);
    const pid = rows[0]!.pid;
    process.kill(pid, 'SIGSTOP'); // the connection stays open, nothing answers: a silently dead link
    try {
      await sleep(600);
      expect(store.broadcastLag!()).toBeGreaterThan(400); // past maxRevocationDelay-sized bounds, the cache turns off
      const backBy = Date.now() + 6000;
      while (store.broadcastLag!() > 300 && Date.now() < backBy) await sleep(20);
      expect(store.broadcastLag!()).toBeLessThanOrEqual(300); // a new connection confirms again
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    unsubscribe();
    await store.close();
    expect(rejections).toEqual([]);
  });

  it('a statement blocked by a lock held elsewhere fails at the timeout, and does not land later', async () => {
    const pool = newPool();
    const store = postgresStore({ pool, createTable: true, table: 'locked', commandTimeout: `${TIMEOUT}ms`, listen: false });
    const auth = createAuth({ store, cookies: { secure: false } });
    const s = await auth.signIn({ userId: 'locked-1' });
    const holder = new pg.Client(server.config);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM locked WHERE id = $1 FOR UPDATE', [s.session.id]);
    const results = await Promise.all([outcome(() => auth.signOut(s.session.id)), outcome(() => auth.sessions.update(s.session.id, { data: { x: 1 } }))]);
    console.log(`lock held: ${results.map((r) => `${r.code} in ${r.ms.toFixed(0)} ms`).join(', ')} (timeout ${TIMEOUT} ms)`);
    for (const r of results) {
      expect(r).toMatchObject({ code: 'store_unavailable', status: 503 });
      expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT - 5);
      expect(r.ms).toBeLessThan(TIMEOUT + 200);
    }
    await sleep(100); // the cancel request reaches the server
    await holder.query('COMMIT');
    await holder.end();
    // The cancelled statements did not run once the lock was released: the session is there, unchanged.
    await sleep(100);
    const after = await auth.authenticate(cookie(auth, s.sessionToken));
    expect(after?.data).toEqual({});
    expect(rejections).toEqual([]);
    await auth.close();
  });

  it('an exhausted pool fails a call within the timeout instead of queueing it', async () => {
    const pool = newPool(2);
    const store = postgresStore({ pool, createTable: true, table: 'exhausted', commandTimeout: `${TIMEOUT}ms`, listen: false });
    const auth = createAuth({ store, cookies: { secure: false } });
    const s = await auth.signIn({ userId: 'pool-1' });
    const held = await Promise.all([pool.connect(), pool.connect()]);
    const r = await outcome(() => auth.authenticate(cookie(auth, s.sessionToken)));
    expect(r).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(r.ms).toBeLessThan(TIMEOUT + 200);
    for (const c of held) c.release();
    expect((await outcome(() => auth.authenticate(cookie(auth, s.sessionToken)))).code).toBe('ok');
    expect(rejections).toEqual([]);
    await auth.close();
  });
});
