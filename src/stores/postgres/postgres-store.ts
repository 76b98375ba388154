import { createHash } from 'node:crypto';
import type { Client, ClientConfig, Pool } from 'pg';
import type { SessionRecord } from '../../core/types.js';
import type { SessionStore, StoreBroadcast } from '../contract.js';
import { createOutcome, isSessionId } from '../rules/kit.js';
import { previousGeneration } from '../rules/refresh-step.js';
import type { BroadcastHub } from '../broadcast-hub.js';
import { postgresBroadcast } from './broadcast.js';
import { reasonSuffix } from '../end-reason.js';
import { resolvePostgresOptions, type PostgresStoreOptions } from './pg-options.js';
import { createRunner } from './run.js';
import { schemaSQL, statements, userLockPrefix } from './sql.js';

export type { PostgresStoreOptions } from './pg-options.js';

/** A PostgreSQL-backed session store: every method of `SessionStore`, plus `prune` and `ready`. */
export interface PostgresStore extends SessionStore {
  /**
   * Deletes expired rows in batches of `batch` (default 1000), each its own short statement that skips
   * rows other transactions hold, until none is left or `maxDuration` passes; returns how many it deleted.
   */
  prune(options?: { batch?: number; maxDuration?: number }): Promise<number>;
  /** Resolves once the table exists (with `createTable`), or at once; rejects with `store_unavailable`. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A row as the statements return it; bigint columns arrive as strings from node-postgres. */
interface Row {
  doc: string;
  user_id: string;
  version: number;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
  refresh_generation: number | null;
  refresh_rotated_at: string | null;
  refresh_expires_at: string | null;
  refresh_previous: number | null;
}

/** What the capped create function answers: inserted -1 means "not under read committed: nothing done". */
interface CappedRow {
  inserted: number;
  evicted: string[];
  refused: boolean;
  replaced: boolean;
}

/** The cap of a create that only replaces a session (no `maxPerUser`): PostgreSQL's largest integer. */
const NO_CAP = 2_147_483_647;

/** A record from its row: the JSON with the columns statements move laid over it. */
function revive(row: Row): SessionRecord {
  const record = JSON.parse(row.doc) as SessionRecord;
  record.userId = row.user_id;
  record.version = row.version;
  record.lastSeenAt = Number(row.last_seen_at);
  record.idleExpiresAt = Number(row.idle_expires_at);
  record.expiresAt = Number(row.expires_at);
  if (row.refresh_generation !== null) {
    // other refresh fields (firstGeneration) come from the JSON; a rotation never changes them
    // (`refresh_previous` always holds the previous generation: the store writes previousGeneration() of every record)
    record.refresh = { ...record.refresh, generation: row.refresh_generation, previous: row.refresh_previous ?? -1, rotatedAt: Number(row.refresh_rotated_at), expiresAt: Number(row.refresh_expires_at) };
  }
  return record;
}

/** True for a user id PostgreSQL text can hold (a string without NUL): any other names no stored session. */
function storableUserId(userId: unknown): userId is string {
  return typeof userId === 'string' && !userId.includes('\u0000');
}

/** PostgreSQL text cannot hold U+0000: a user id with one is refused before any statement runs. */
function checkUserId(userId: string): void {
  if (!storableUserId(userId)) {
    throw new TypeError('latchkey: postgresStore cannot store a user id containing a NUL character (U+0000); PostgreSQL text refuses it.');
  }
}

/** The record's columns in statement order ($2…$14). */
function columns(r: SessionRecord): unknown[] {
  const f = r.refresh;
  const idle = typeof r.idleTimeout === 'number' ? r.idleTimeout : null;
  return [r.id, r.userId, r.version, r.createdAt, r.lastSeenAt, r.idleExpiresAt, r.absoluteExpiresAt, r.expiresAt, f ? f.generation : null, f ? f.rotatedAt : null, f ? f.expiresAt : null, JSON.stringify(r), idle];
}

/** The row's `refresh_previous`: the generation the current one was rotated from (rules/refresh-step.ts), or NULL. */
function previousColumn(r: SessionRecord): number | null {
  return r.refresh ? previousGeneration(r.refresh) : null;
}

/** A 64-bit advisory-lock key for `text`, as a decimal literal (safe to inline: digits and a sign only). */
export function lockKey(text: string): string {
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}

/**
 * A session store on PostgreSQL (node-postgres `Pool`): one statement per call (one round trip; a capped
 * sign-in takes a per-user advisory lock first), compare-and-set on `version`, expired rows never returned
 * and pruned in bounded batches on writes, revocations broadcast with LISTEN/NOTIFY, every call bounded by
 * `commandTimeout` (then `store_unavailable`, 503: fail closed). See docs/postgres.md.
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const auth = createAuth({ store: postgresStore({ pool, createTable: true }) });
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const o = resolvePostgresOptions(options);
  const run = createRunner(o.pool, o.timeout, o.prepared);
  const sql = statements(o, o.pruneBatch);
  const channel = o.channel;
  const qualified = `${o.schema}.${o.table}`;

  // createTable: the DDL runs once, under a transaction-level advisory lock, so instances starting together
  // never race on CREATE … IF NOT EXISTS (which can fail with a unique violation on pg_type when they do).
  let setup: Promise<void> | null = null;
  function ready(): Promise<void> {
    if (!o.createTable) return Promise.resolve();
    setup ??= run.transaction(`BEGIN; SELECT pg_advisory_xact_lock(${lockKey(`latchkey:ddl:${qualified}`)})`, async (q) => {
      await q(schemaSQL(o));
    });
    return setup.catch((error: unknown) => {
      setup = null; // a failed start-up is retried by the next call
      throw error;
    });
  }
  const query = async <R extends object>(text: string, values: unknown[]): Promise<R[]> => {
    if (o.createTable) await ready();
    return (await run.query(text, values)) as R[];
  };

  // The capped create needs read committed (see the function in sql.ts). Under it, one statement; a database
  // (or role) that defaults to another level makes the function answer inserted = -1 without doing anything,
  // and from then on this store calls it inside BEGIN ISOLATION LEVEL READ COMMITTED … COMMIT (three round trips).
  let defaultReadCommitted = true;
  const lockPrefix = userLockPrefix(o);
  async function createCapped(values: unknown[]): Promise<CappedRow | undefined> {
    if (defaultReadCommitted) {
      const [row] = await query<CappedRow>(sql.createCapped, values);
      if (row?.inserted !== -1) return row;
      defaultReadCommitted = false;
    }
    return (await run.transaction('BEGIN ISOLATION LEVEL READ COMMITTED', (q) => q<CappedRow>(sql.createCapped, values)))[0];
  }

  const broadcast: BroadcastHub | null =
    o.listen === false
      ? null
      : postgresBroadcast({
          channel,
          heartbeat: o.heartbeat,
          connect: () => {
            const ClientClass = (o.pool as Pool & { Client?: new (config: ClientConfig) => Client }).Client;
            if (!ClientClass) throw new TypeError('latchkey: postgresStore needs a pg.Pool (its Client class opens the LISTEN connection).');
            return new ClientClass({ ...(o.listen as ClientConfig), keepAlive: true, application_name: 'latchkey-listen' });
          },
        });

  const store: PostgresStore = {
    replaceOnCreate: true,
    async create(record, opts = {}) {
      checkUserId(record.userId);
      if (!isSessionId(record.id)) throw new TypeError('latchkey: postgresStore session ids are 22 base64url characters.');
      const now = Date.now();
      try {
        if (opts.maxPerUser === undefined && opts.replaces === undefined) {
          await query(sql.insert, [now, ...columns(record), previousColumn(record)]);
          return;
        }
        // one round trip: the schema's function takes the user's advisory lock, then counts, evicts, replaces and inserts
        const refuse = opts.overLimit === 'refuse';
        // '' for none; an id of no session's shape can match no row ('-'): then nothing is written
        const replaces = opts.replaces === undefined ? '' : isSessionId(opts.replaces) ? opts.replaces : '-';
        const row = await createCapped([now, ...columns(record), opts.maxPerUser ?? NO_CAP, refuse, channel, o.pruneBatch, replaces, lockPrefix, previousColumn(record)]);
        return createOutcome(opts, row?.evicted ?? [], row?.refused === true, row?.replaced === true);
      } catch (error) {
        const code = ((error as Error).cause as { code?: unknown } | undefined)?.code;
        if (code === '23505') throw new Error('latchkey: a session with this id already exists.');
        throw error;
      }
    },

    async get(id) {
      if (!isSessionId(id)) return null;
      const [row] = await query<Row>(sql.get, [Date.now(), id]);
      return row ? revive(row) : null;
    },

    async update(record, expectedVersion) {
      if (!isSessionId(record.id) || !storableUserId(record.userId)) return false;
      const c = columns(record);
      const values = [Date.now(), record.id, record.userId, record.version, record.lastSeenAt, record.idleExpiresAt, record.expiresAt, record.absoluteExpiresAt, c[8], c[9], c[10], c[11], expectedVersion, channel, c[12], previousColumn(record)];
      return (await query(sql.update, values)).length === 1;
    },

    async advanceRefresh(id, step) {
      if (!isSessionId(id)) return null;
      const [moved] = await query<Row>(sql.advanceRefresh, [Date.now(), id, step.from, step.at, step.refreshExpiresAt, step.idleExpiresAt, channel, step.reuseGrace ?? 0]);
      if (moved) return { advanced: true, record: revive(moved) };
      // The step did not apply: read the row again in a new statement, which sees the rotation that won.
      const [stored] = await query<Row>(sql.get, [Date.now(), id]);
      return stored ? { advanced: false, record: revive(stored) } : null;
    },

    async touch(id, activity) {
      if (!isSessionId(id)) return;
      await query(sql.touch, [Date.now(), id, activity.lastSeenAt, activity.idleExpiresAt, activity.expiresAt]);
    },

    async delete(id, opts = {}) {
      if (!isSessionId(id)) return false;
      const [row] = await query<{ live: boolean }>(sql.delete, [Date.now(), id, channel, reasonSuffix(opts.reason)]);
      return row?.live === true;
    },

    async listByUser(userId) {
      if (!storableUserId(userId)) return [];
      return (await query<Row>(sql.listByUser, [Date.now(), userId])).map(revive);
    },

    async deleteByUser(userId, opts = {}) {
      if (!storableUserId(userId)) return 0;
      const [row] = await query<{ n: number }>(sql.deleteByUser, [Date.now(), userId, opts.except ?? '', channel]);
      return row?.n ?? 0;
    },

    async prune(opts = {}) {
      const batch = opts.batch ?? 1000;
      const until = Date.now() + (opts.maxDuration ?? 60_000);
      let total = 0;
      for (;;) {
        const deleted = (await query<{ id: string }>(sql.prune, [Date.now(), batch])).length;
        total += deleted;
        if (deleted < batch || Date.now() >= until) return total;
      }
    },

    ready,

    async close() {
      broadcast?.close();
    },
  };
  if (broadcast) {
    store.subscribe = (fn: (message: StoreBroadcast | null) => void) => broadcast.subscribe(fn);
    store.broadcastLag = () => broadcast.lag();
  }
  return store;
}
