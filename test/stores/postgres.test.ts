// The PostgreSQL store beyond the shared conformance suite: options, hostile input, the per-user cap under
// concurrency, createTable under concurrent start-up, quoted names, pruning, and the broadcast health signal.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createAuth, isAuthError, type SessionRecord } from '../../src/entries/index.js';
import { postgresSchema, postgresStore, type PostgresStore } from '../../src/entries/postgres.js';
import { quoteIdent } from '../../src/stores/postgres/sql.js';
import type { StoreBroadcast } from '../../src/entries/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';

const HOUR = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function record(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const t = Date.now();
  return {
    id: randomBytes(16).toString('base64url'),
    userId,
    version: 1,
    secretHash: randomBytes(32).toString('base64url'),
    refresh: null,
    data: {},
    createdAt: t,
    authTime: t,
    lastSeenAt: t,
    idleExpiresAt: t + HOUR,
    absoluteExpiresAt: t + 24 * HOUR,
    expiresAt: t + HOUR,
    meta: {},
    ...overrides,
  };
}

describe('postgresStore options', () => {
  const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
  it('refuses a missing pool, unknown keys and bad values with a message that says what to change', () => {
    expect(() => postgresStore({} as never)).toThrow(/needs \{ pool \}/);
    expect(() => postgresStore({ pool, tableName: 'x' } as never)).toThrow(/does not know the option "tableName"/);
    expect(() => postgresStore({ pool, commandTimeout: '1 minute' as never })).toThrow(/commandTimeout must be a duration/);
    expect(() => postgresStore({ pool, commandTimeout: 0 })).toThrow(/commandTimeout must be greater than zero/);
    expect(() => postgresStore({ pool, table: '' })).toThrow(/table must be a non-empty string/);
    expect(() => postgresStore({ pool, schema: 'a\u0000b' })).toThrow(/schema must be .* without NUL/);
    expect(() => postgresStore({ pool, channel: 'c'.repeat(41) })).toThrow(/channel must be .* at most 40 bytes/);
    expect(() => postgresStore({ pool, pruneBatch: -1 })).toThrow(/pruneBatch must be a whole number/);
    expect(() => postgresStore({ pool, createTable: 'yes' as never })).toThrow(/createTable must be true or false/);
  });

  it('postgresSchema prints quoted DDL with both indexes, and names are quoted however odd', () => {
    const sql = postgresSchema({ schema: 'auth', table: 'we"ird' });
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "auth"."we""ird"');
    expect(sql).toContain('ON "auth"."we""ird" (user_id)');
    expect(sql).toContain('ON "auth"."we""ird" (expires_at)');
  });
  afterAll(() => pool.end());
});

describe.skipIf(!postgresAvailable)('postgres store on a real server', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  const stores: PostgresStore[] = [];
  const make = (options: Partial<Parameters<typeof postgresStore>[0]> = {}): PostgresStore => {
    const s = postgresStore({ pool, createTable: true, ...options });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ ...server.config, max: 10 });
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await pool?.end();
    server?.stop();
  });

  it('hostile user ids and session data round-trip exactly', async () => {
    const s = make({ table: 'hostile' });
    const ids = ["o'brien", 'a"b', "'); DROP TABLE hostile; --", 'back\\slash', '$1', 'zoë 🔑', '\u2028\u2029', ' ', 'x'.repeat(2000)];
    const data = { quote: "it's \"quoted\"", nul: 'a\u0000b', lone: '\ud800', sep: '\u2028', nested: { a: [[], {}, null, -1.5e-300, 2 ** 53 - 1] }, unicode: '𝄞', sql: "'; SELECT 1; --" };
    for (const userId of ids) {
      const r = record(userId, { data, meta: { userAgent: "Mozilla/5.0 'x' \"y\"", label: '\u0000label' } });
      await s.create(r);
      expect(await s.get(r.id)).toEqual(JSON.parse(JSON.stringify(r)));
      expect((await s.listByUser(userId)).map((x) => x.id)).toEqual([r.id]);
      expect(await s.deleteByUser(userId)).toBe(1);
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM hostile')).rows[0].n).toBe(0);
  });

  it('a user id with a NUL character is refused with a clear error, and reads of one find nothing', async () => {
    const s = make({ table: 'nul_ids' });
    await expect(s.create(record('a\u0000b'))).rejects.toThrow(/user id containing a NUL character/);
    expect(await s.listByUser('a\u0000b')).toEqual([]);
    expect(await s.deleteByUser('a\u0000b')).toBe(0);
    expect(await s.get('not an id')).toBeNull();
  });

  it('a store error reaches the client as a bare 503: no SQL, no arguments', async () => {
    const s = postgresStore({ pool, table: 'never_created' });
    const auth = createAuth({ store: s, cookies: { secure: false } });
    const error = await auth.signIn({ userId: "secret-user-'id" }).catch((e: unknown) => e);
    expect(isAuthError(error) && error.code === 'store_unavailable' && error.status === 503).toBe(true);
    expect(String((error as Error).message)).toBe('The session store is unavailable.');
    const cause = String(((error as Error).cause as Error).message);
    expect(cause).toMatch(/^PostgreSQL error (42P01|42883)/); // no table, or no capped-create function
    expect(cause).not.toContain('secret-user');
    await auth.close();
  });

  it('quoted schema and table names work end to end', async () => {
    const s = make({ schema: 'Auth Schema', table: 'Sessions "v2"' });
    const r = record(randomUUID());
    await s.create(r);
    expect((await s.get(r.id))?.id).toBe(r.id);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "Auth Schema"."Sessions ""v2"""`);
    expect(rows[0].n).toBe(1);
  });

  it('a name that holds the function body\'s dollar-quote tag works, and the printed DDL runs nothing else', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS victim (n int)');
    const names = [
      { schema: 'public', table: 'x$latchkey$; DROP TABLE victim; --' },
      { schema: '$latchkey$ DROP TABLE victim; $latchkey$', table: '$latchkey_1$$latchkey$$$' },
      { schema: 'dq', table: "$latchkey$'; DROP TABLE victim; SELECT '" },
    ];
    for (const [i, name] of names.entries()) {
      // the DDL as `npx latchkey postgres-schema` prints it, run as a migration would (one multi-statement query)
      await pool.query(postgresSchema(name));
      expect((await pool.query("SELECT to_regclass('public.victim') IS NOT NULL AS present")).rows[0].present).toBe(true);
      const s = make({ ...name, createTable: i % 2 === 0, channel: `dq_${i}` });
      const userId = randomUUID();
      const [a, b] = [record(userId), record(userId)];
      await s.create(a);
      expect(await s.create(b, { maxPerUser: 1 })).toEqual({ evicted: [a.id], refused: false });
      expect((await s.listByUser(userId)).map((r) => r.id)).toEqual([b.id]);
    }
  });

  it('names with quotes, spaces, unicode and at the length limits work end to end', async () => {
    const names = [
      { schema: 'Auth Schema', table: 'Sessions "v3"' },
      { schema: "o'brien", table: 'a;b--c/*d*/' },
      { schema: 'zoë 🔑', table: 'sessions ünïcödé' },
      { schema: 's'.repeat(59) + '🔑', table: 't'.repeat(46) + 'ü'.repeat(2) }, // 63 bytes, and the table's 50
      { schema: '\\', table: '$$' },
    ];
    for (const [i, name] of names.entries()) {
      expect(Buffer.byteLength(name.schema)).toBeLessThanOrEqual(63);
      const s = make({ ...name, channel: `names_${i}` });
      const userId = randomUUID();
      const [a, b] = [record(userId), record(userId)];
      await s.create(a);
      expect(await s.create(b, { maxPerUser: 1 })).toEqual({ evicted: [a.id], refused: false });
      expect(await s.get(b.id)).toMatchObject({ id: b.id });
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${quoteIdent(name.schema)}.${quoteIdent(name.table)}`);
      expect(rows[0].n).toBe(1);
    }
  });

  it('createTable is safe when many instances start at once', async () => {
    const starting = Array.from({ length: 8 }, () => make({ schema: 'race', table: 'sessions' }));
    await Promise.all(starting.map((s) => s.ready()));
    const results = await Promise.all(starting.map((s) => s.create(record(randomUUID()))));
    expect(results).toHaveLength(8);
    expect((await pool.query('SELECT count(*)::int AS n FROM race.sessions')).rows[0].n).toBe(8);
  });

  it('the per-user cap holds under 20 parallel sign-ins: evict keeps the newest, refuse writes nothing at the cap', async () => {
    const s = make({ table: 'capped' });
    const userId = randomUUID();
    const base = Date.now();
    const made = Array.from({ length: 20 }, (_, i) => record(userId, { createdAt: base + i, expiresAt: base + HOUR + i, idleExpiresAt: base + HOUR + i }));
    const outcomes = await Promise.all(made.map((r) => s.create(r, { maxPerUser: 5 })));
    const evicted = outcomes.flatMap((o) => o?.evicted ?? []);
    expect(outcomes.every((o) => o?.refused === false)).toBe(true);
    expect(evicted).toHaveLength(15);
    expect(new Set(evicted).size).toBe(15);
    expect((await s.listByUser(userId)).length).toBe(5);

    const other = randomUUID();
    const tries = await Promise.all(Array.from({ length: 20 }, () => s.create(record(other), { maxPerUser: 5, overLimit: 'refuse' })));
    expect(tries.filter((o) => o?.refused === false)).toHaveLength(5);
    expect(tries.filter((o) => o?.refused === true)).toHaveLength(15);
    expect((await s.listByUser(other)).length).toBe(5);
  });

  it('eviction follows pickEvictions: the soonest to expire goes first', async () => {
    const s = make({ table: 'cap_order' });
    const userId = randomUUID();
    const t = Date.now();
    const soon = record(userId, { expiresAt: t + 1000, idleExpiresAt: t + 1000 });
    const late = record(userId, { expiresAt: t + HOUR, idleExpiresAt: t + HOUR });
    await s.create(late);
    await s.create(soon);
    const outcome = await s.create(record(userId), { maxPerUser: 2 });
    expect(outcome).toEqual({ evicted: [soon.id], refused: false });
  });

  it('prune deletes expired rows in bounded batches and leaves live ones', async () => {
    const s = make({ table: 'prune', pruneBatch: 0 });
    await s.ready();
    const t = Date.now();
    await pool.query(
      `INSERT INTO prune SELECT 'exp' || lpad(g::text, 19, '0'), 'u' || g, 1, $1::bigint, $1, $1, $1, $1 - 1, null, null, null, '{}' FROM generate_series(1, 2500) g`,
      [t],
    );
    const live = record(randomUUID());
    await s.create(live);
    expect(await s.prune({ batch: 1000 })).toBe(2500);
    expect(await s.prune()).toBe(0);
    expect((await s.get(live.id))?.id).toBe(live.id);
  });

  it('writes prune a bounded batch of expired rows by themselves', async () => {
    const s = make({ table: 'prune_on_write', pruneBatch: 16 });
    await s.ready();
    const t = Date.now();
    await pool.query(`INSERT INTO prune_on_write SELECT 'exp' || lpad(g::text, 19, '0'), 'u' || g, 1, $1::bigint, $1, $1, $1, $1 - 1, null, null, null, '{}' FROM generate_series(1, 100) g`, [t]);
    for (let i = 0; i < 3; i++) await s.create(record(randomUUID()));
    expect((await pool.query('SELECT count(*)::int AS n FROM prune_on_write WHERE expires_at <= $1', [Date.now()])).rows[0].n).toBe(100 - 48);
  });

  it('broadcastLag is Infinity until the listener is confirmed, then stays within a heartbeat', async () => {
    const s = make({ table: 'lag', channel: 'lag_test', heartbeat: '100ms' });
    expect(s.broadcastLag!()).toBe(Infinity);
    const heard: (StoreBroadcast | null)[] = [];
    const unsubscribe = s.subscribe!((m) => heard.push(m));
    const deadline = Date.now() + 5000;
    while (s.broadcastLag!() > 300 && Date.now() < deadline) await sleep(20);
    expect(s.broadcastLag!()).toBeLessThanOrEqual(300);
    expect(heard).toContain(null);
    const r = record(randomUUID());
    await s.create(r);
    expect(await s.update({ ...r, version: 2, data: { x: 1 } }, 1)).toBe(true);
    await s.delete(r.id);
    const by = Date.now() + 1000;
    while (!heard.some((m) => m?.revoked.includes(r.id)) && Date.now() < by) await sleep(10);
    expect(heard).toContainEqual({ revoked: [], changed: [r.id] });
    expect(heard).toContainEqual({ revoked: [r.id], changed: [] });
    unsubscribe();
    expect(s.broadcastLag!()).toBe(Infinity);
  });

  it('preparedStatements: false (PgBouncer before 1.21) runs every operation the same, as unnamed statements', async () => {
    const s = make({ table: 'unprepared', preparedStatements: false });
    const userId = randomUUID();
    const r = record(userId, { refresh: { generation: 0, rotatedAt: Date.now(), expiresAt: Date.now() + HOUR } });
    await s.create(r);
    expect(await s.update({ ...r, version: 2, data: { n: 2 } }, 1)).toBe(true);
    const t = Date.now() + 1;
    expect((await s.advanceRefresh!(r.id, { from: 0, at: t, refreshExpiresAt: t + HOUR, idleExpiresAt: t + HOUR }))?.advanced).toBe(true);
    await s.touch(r.id, { lastSeenAt: t + 5, idleExpiresAt: t + HOUR, expiresAt: t + HOUR });
    expect(await s.get(r.id)).toMatchObject({ version: 3, data: { n: 2 }, lastSeenAt: t + 5, refresh: { generation: 1 } });
    expect((await s.create(record(userId), { maxPerUser: 1 }))?.evicted).toEqual([r.id]);
    expect(await s.deleteByUser(userId)).toBe(1);
  });

  it('listen: false opens no connection and offers no broadcast', async () => {
    const s = make({ table: 'no_listen', listen: false });
    expect(s.subscribe).toBeUndefined();
    expect(s.broadcastLag).toBeUndefined();
  });
});
