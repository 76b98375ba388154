// The PostgreSQL store's schema and statements, as text. No I/O here: the store runs them, the CLI prints the DDL.
// Each store rule comes from its file in stores/rules/, SQL beside the TypeScript (liveness, activity, eviction,
// refresh step).
import { mergeActivitySQL, touchAppliesSQL } from '../rules/activity.js';
import { EVICTION_ORDER_SQL } from '../rules/eviction.js';
import { livenessSQL } from '../rules/liveness.js';
import { refreshStepSQL } from '../rules/refresh-step.js';
import { reasonSuffix } from '../end-reason.js';
//
// Why the table is shaped so. One row per session, the session id as primary key. The record travels as
// its JSON text (`doc`, type text: stored and returned byte for byte, no server-side parse, and a NUL
// inside session data is just the six characters `\u0000` of JSON, where jsonb would refuse it). Beside it,
// plain bigint/int columns hold what statements compare or move (like the Redis store's hash fields):
// `version` for compare-and-set, the activity times `touch` moves, the refresh state `advanceRefresh`
// rotates (with the session's own `idle_timeout` it measures idleness by), `expires_at` which every read
// checks. A read lays those columns over the JSON, so `touch` and `advanceRefresh` never rewrite `doc`. A jsonb
// record takes more space per session and reads a row by id no faster (bench/postgres.mjs; bench/RESULTS.md).
// Indexes: `user_id` (list, end everywhere, the per-user cap) and `expires_at` (pruning in bounded batches).
// Times are milliseconds since the epoch, as in the record.

/** Where the table lives. */
export interface PostgresNames {
  /** Schema name; default `'public'`. */
  schema: string;
  /** Table name; default `'latchkey_sessions'`. */
  table: string;
}

/** Quotes an SQL identifier: wrapped in double quotes, inner double quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * `body` in dollar quotes whose tag does not occur in it: `$latchkey$`, or `$latchkey_1$`, `$latchkey_2$`, …
 * The body holds the (quoted) schema and table names, and a name may contain any text, `$latchkey$` included:
 * with a fixed tag such a name would end the quote and run the rest of the DDL as statements of its own.
 */
export function dollarQuote(body: string): string {
  for (let n = 0; ; n++) {
    const tag = n === 0 ? '$latchkey$' : `$latchkey_${n}$`;
    const quoted = `${tag}${body}${tag}`;
    // the quote ends at the first occurrence of the tag after the opening one: it must be the closing one
    if (quoted.indexOf(tag, tag.length) === tag.length + body.length) return quoted;
  }
}

/** The text the capped create's advisory lock key is hashed from, before the user id (a parameter, never SQL text). */
export function userLockPrefix(names: PostgresNames): string {
  return `latchkey:user:${names.schema}.${names.table}:`;
}

/** The capped create function's argument types: the record columns, the cap, the replaced id ($19), the lock prefix ($20), the refresh state's previous generation ($21). */
const CREATE_ARGUMENTS = 'bigint, text, text, integer, bigint, bigint, bigint, bigint, bigint, integer, bigint, bigint, text, bigint, integer, boolean, text, integer, text, text, integer';

/** The qualified name of the table's capped-create function. */
export function createFunction(names: PostgresNames): string {
  return `${quoteIdent(names.schema)}.${quoteIdent(`${names.table}_create`)}`;
}

/** The columns a read returns, in the order `revive` expects them. */
export const READ_COLUMNS = 'doc, user_id, version, last_seen_at, idle_expires_at, expires_at, refresh_generation, refresh_rotated_at, refresh_expires_at, refresh_previous';

/**
 * The migration SQL for the session table (what `createTable: true` runs, and `npx latchkey postgres-schema` prints).
 * @example
 * await pool.query(postgresSchema({ schema: 'auth' }));
 */
export function postgresSchema(names: Partial<PostgresNames> = {}): string {
  return schemaSQL({ schema: names.schema ?? 'public', table: names.table ?? 'latchkey_sessions' });
}

/** The DDL: table and indexes, each `IF NOT EXISTS`, so it can run again. */
export function schemaSQL(names: PostgresNames): string {
  const t = `${quoteIdent(names.schema)}.${quoteIdent(names.table)}`;
  const idx = (suffix: string): string => quoteIdent(`${names.table}_${suffix}`.slice(0, 63));
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(names.schema)};
CREATE TABLE IF NOT EXISTS ${t} (
  id                  text    PRIMARY KEY COLLATE "C",
  user_id             text    NOT NULL COLLATE "C",
  version             integer NOT NULL,
  created_at          bigint  NOT NULL,
  last_seen_at        bigint  NOT NULL,
  idle_expires_at     bigint  NOT NULL,
  absolute_expires_at bigint  NOT NULL,
  expires_at          bigint  NOT NULL,
  refresh_generation  integer,
  refresh_rotated_at  bigint,
  refresh_expires_at  bigint,
  doc                 text    NOT NULL,
  idle_timeout        bigint,
  refresh_previous    integer
);
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS refresh_previous integer;
CREATE INDEX IF NOT EXISTS ${idx('user_id')} ON ${t} (user_id);
CREATE INDEX IF NOT EXISTS ${idx('expires_at')} ON ${t} (expires_at);
-- A sign-in under the per-user cap (or one that replaces a session), in one round trip: the user's advisory
-- lock, then the count, the evictions, the replacement and the insert in a statement of their own. Under read
-- committed that statement's snapshot sees every committed row of the user; under any other level the
-- transaction's snapshot predates the lock, so the function does nothing and answers inserted = -1: the store
-- then calls it again inside BEGIN ISOLATION LEVEL READ COMMITTED.
CREATE OR REPLACE FUNCTION ${createFunction(names)}(${CREATE_ARGUMENTS})
RETURNS TABLE (inserted integer, evicted text[], refused boolean, replaced boolean) LANGUAGE plpgsql AS ${dollarQuote(`
#variable_conflict use_column
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RETURN QUERY SELECT -1, ARRAY[]::text[], false, false;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended($20 || $3, 0));
  RETURN QUERY ${statements(names, 0).insertCapped};
END
`)};
`;
}

/** Every statement the store runs, for one table. `$1` is always the caller's clock (ms) where time matters. */
export interface Statements {
  insert: string;
  insertCapped: string;
  createCapped: string;
  get: string;
  update: string;
  advanceRefresh: string;
  touch: string;
  delete: string;
  listByUser: string;
  deleteByUser: string;
  prune: string;
  countByUser: string;
}

// Inserted columns and their parameters ($2…$14) for both inserts (cast: an INSERT … SELECT infers no types).
// `refresh_previous` (the generation the current one was rotated from) comes last, as the statement's last parameter.
const INSERT_COLUMNS = 'id, user_id, version, created_at, last_seen_at, idle_expires_at, absolute_expires_at, expires_at, refresh_generation, refresh_rotated_at, refresh_expires_at, doc, idle_timeout, refresh_previous';
const insertValues = (previous: string): string => `$2::text, $3::text, $4::int, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10::int, $11::bigint, $12::bigint, $13::text, $14::bigint, ${previous}::int`;

/** Builds the statements for one table. Statements that delete or rewrite a record also `pg_notify` its id. */
export function statements(names: PostgresNames, pruneBatch: number): Statements {
  const t = `${quoteIdent(names.schema)}.${quoteIdent(names.table)}`;
  const step = refreshStepSQL({ from: '$3::int', at: '$4::bigint', grace: '$8::bigint', refreshExpiresAt: '$5', idleExpiresAt: '$6' });
  const live = livenessSQL('$1');
  // Bounded pruning piggy-backed on a write: at most `pruneBatch` expired rows, skipping rows another
  // transaction holds (never waits), plus the user's own expired rows (so a user's rows stay bounded).
  const pruneExpired = (limit: string): string => `DELETE FROM ${t} WHERE id = ANY(ARRAY(SELECT id FROM ${t} WHERE expires_at <= $1 ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED))`;
  const pruneOnWrite = (limit: string): string => `pruned AS (${pruneExpired(limit)}),
    pruned_user AS (DELETE FROM ${t} WHERE user_id = $3 AND expires_at <= $1)`;
  // Sends ids as `<kind>:<id>,<id>…` in payloads under PostgreSQL's 8000-byte limit (300 ids of 22 characters).
  // A revocation may end with its reason, `,~evicted` (stores/end-reason.ts): a receiver that predates it reads no id there.
  const notify = (kind: 'r' | 'c', rows: string, channel: string, reason = ''): string =>
    `SELECT pg_notify(${channel}, '${kind}:' || string_agg(id, ',')${reason === '' ? '' : ` || '${reason}'`}) FROM (SELECT id, (row_number() OVER ()) / 300 AS chunk FROM ${rows}) c GROUP BY chunk`;
  return {
    // ARGS: now, ...record columns, refreshPrevious ($15). One statement: prune a batch, insert (a duplicate id is a unique violation).
    insert: `WITH ${pruneOnWrite(String(pruneBatch))} INSERT INTO ${t} (${INSERT_COLUMNS}) VALUES (${insertValues('$15')})`,
    // ARGS: now, ...record columns, maxPerUser ($15), refuse ($16), channel ($17), pruneBatch ($18), replaces ($19, '' for
    // none), refreshPrevious ($21). Runs after the user's advisory lock, in its own read-committed statement, so the count sees every
    // committed row of the user. Rule "per-user cap" (rules/eviction.ts): evict the soonest to expire, then the
    // oldest, then by id; with refuse, write nothing at the cap. The replaced session is not counted, and is
    // deleted only when the insert happens; when it is not live (a sign-out got there first) nothing is written.
    insertCapped: `WITH ${pruneOnWrite('$18::int')},
    live AS (SELECT id, expires_at, created_at FROM ${t} WHERE user_id = $3 AND ${live} AND id <> $19::text),
    fits AS (SELECT NOT $16::boolean OR count(*) < $15::int AS ok FROM live),
    replaced AS (DELETE FROM ${t} WHERE $19::text <> '' AND id = $19::text AND user_id = $3 AND ${live} AND (SELECT ok FROM fits) RETURNING id),
    proceed AS (SELECT (SELECT ok FROM fits) AND ($19::text = '' OR EXISTS (SELECT 1 FROM replaced)) AS ok),
    excess AS (SELECT id FROM live ORDER BY ${EVICTION_ORDER_SQL}
               LIMIT CASE WHEN (SELECT ok FROM proceed) THEN GREATEST((SELECT count(*) FROM live) + 1 - $15::int, 0) ELSE 0 END),
    evicted AS (DELETE FROM ${t} WHERE id IN (SELECT id FROM excess) RETURNING id),
    inserted AS (INSERT INTO ${t} (${INSERT_COLUMNS}) SELECT ${insertValues('$21')} WHERE (SELECT ok FROM proceed) RETURNING id),
    notified AS (${notify('r', '(SELECT id FROM evicted UNION ALL SELECT id FROM replaced) ended', '$17::text', reasonSuffix('evicted'))})
    SELECT (SELECT count(*) FROM inserted)::int + 0 * (SELECT count(*) FROM notified)::int AS inserted, ARRAY(SELECT id FROM evicted) AS evicted,
      NOT (SELECT ok FROM fits) AS refused, EXISTS (SELECT 1 FROM replaced) AS replaced`,
    // ARGS: as insertCapped, then the lock prefix ($20) and refreshPrevious ($21). One round trip: the schema's function takes the user's lock, then runs insertCapped.
    createCapped: `SELECT inserted, evicted, refused, replaced FROM ${createFunction(names)}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
    // ARGS: now, id
    get: `SELECT ${READ_COLUMNS} FROM ${t} WHERE id = $2 AND ${live}`,
    // ARGS: now, id, user, version, lastSeenAt, idleExpiresAt, expiresAt, absoluteExpiresAt, rg, rt, re, doc, expectedVersion, channel, idleTimeout, refreshPrevious.
    // Compare-and-set; rule "activity" (rules/activity.ts): a later stored lastSeenAt keeps the stored activity.
    update: `WITH moved AS (UPDATE ${t} SET version = $4, doc = $12, absolute_expires_at = $8, idle_timeout = $15,
      refresh_generation = $9, refresh_rotated_at = $10, refresh_expires_at = $11, refresh_previous = $16::int,
      ${mergeActivitySQL('$5', '$6', '$7')}
      WHERE id = $2 AND version = $13 AND user_id = $3 AND ${live} RETURNING id)
    SELECT pg_notify($14, 'c:' || id) FROM moved`,
    // ARGS: now, id, from, at, refreshExpiresAt, idleExpiresAt, channel, reuseGrace. Rule "refresh step"
    // (rules/refresh-step.ts, whose SQL is refreshStepSQL): rotate the newest, or replace it for the previous
    // generation after the grace window. The UPDATE's row lock serialises steps; a loser re-reads the row in a
    // new statement (a fresh snapshot).
    advanceRefresh: `WITH moved AS (UPDATE ${t} SET version = version + 1, ${step.sets}
      WHERE id = $2 AND ${live} AND ${step.applies}
      RETURNING ${READ_COLUMNS})
    SELECT moved.*, pg_notify($7, 'c:' || $2) FROM moved`,
    // ARGS: now, id, lastSeenAt, idleExpiresAt, expiresAt. Rule "activity" (rules/activity.ts): a touch only if newer. Never notifies.
    touch: `UPDATE ${t} SET last_seen_at = $3, idle_expires_at = $4, expires_at = $5
      WHERE id = $2 AND ${live} AND ${touchAppliesSQL('$3')}`,
    // ARGS: now, id, channel, reason suffix ('' for none, else `,~<reason>`). One row (live or not) when a row was deleted.
    delete: `WITH gone AS (DELETE FROM ${t} WHERE id = $2 RETURNING id, ${live} AS live)
    SELECT live, pg_notify($3, 'r:' || id || $4::text) FROM gone`,
    // ARGS: now, user
    listByUser: `SELECT ${READ_COLUMNS} FROM ${t} WHERE user_id = $2 AND ${live} ORDER BY created_at, id COLLATE "C"`,
    // ARGS: now, user, except ('' for none), channel. Counts the live rows deleted.
    deleteByUser: `WITH gone AS (DELETE FROM ${t} WHERE user_id = $2 AND id <> $3 RETURNING id, ${live} AS live),
    notified AS (${notify('r', 'gone', '$4::text')})
    SELECT (SELECT count(*) FROM gone WHERE live)::int AS n, (SELECT count(*) FROM notified)::int AS sent`,
    // ARGS: now, batch. Deletes up to `batch` expired rows, skipping rows another transaction holds.
    prune: `${pruneExpired('$2')} RETURNING id`,
    // ARGS: user (tests and tools: rows held for a user, expired ones included)
    countByUser: `SELECT count(*)::int AS n FROM ${t} WHERE user_id = $1`,
  };
}
