// postgresStore's options: checked once at construction like createAuth's (unknown keys refused, one
// Duration form, messages that say what to change).
import type { ClientConfig, Pool } from 'pg';
import type { Duration } from '../../core/duration.js';
import { checkKeys, fail, flag, positive, wholeNumber } from '../../core/option-kit.js';

/** Options for `postgresStore`. */
export interface PostgresStoreOptions {
  /** A node-postgres `Pool` (pg 8). The store borrows a connection per call and never ends the pool. */
  pool: Pool;
  /** Schema of the table. Default `'public'`. Quoted, so every name works (case-sensitive). */
  schema?: string;
  /** Table name. Default `'latchkey_sessions'`. Quoted, so every name works (case-sensitive). */
  table?: string;
  /** Run the DDL (`CREATE … IF NOT EXISTS`, under an advisory lock) before the first call. Default `false`. */
  createTable?: boolean;
  /** Longest wait for one store call, pool wait included; past it the call fails with `store_unavailable`. Default `'1s'`. */
  commandTimeout?: Duration;
  /** LISTEN/NOTIFY channel of the revocation broadcast. Default `'latchkey'`. */
  channel?: string;
  /**
   * The dedicated LISTEN connection: `false` for none (no broadcast; the checkSession cache is then off), or a
   * node-postgres client config (e.g. a direct connection when the pool goes through PgBouncer in transaction
   * mode). Default: the pool's own connection settings.
   */
  listen?: false | ClientConfig;
  /** How often the listener checks its connection with a heartbeat. Default `'500ms'`. */
  heartbeat?: Duration;
  /**
   * Named prepared statements: PostgreSQL parses and plans each statement once per connection. Default `true`.
   * Turn off behind PgBouncer older than 1.21 in transaction mode (or with `max_prepared_statements = 0`).
   */
  preparedStatements?: boolean;
  /** Expired rows deleted at most per write (a session created). Default `16`; `0` turns it off (then run `prune()`). */
  pruneBatch?: number;
}

/** The options after validation. */
export interface ResolvedPostgresOptions {
  pool: Pool;
  schema: string;
  table: string;
  createTable: boolean;
  timeout: number;
  channel: string;
  listen: false | ClientConfig;
  heartbeat: number;
  pruneBatch: number;
  prepared: boolean;
}

const KNOWN = ['pool', 'schema', 'table', 'createTable', 'commandTimeout', 'channel', 'listen', 'heartbeat', 'pruneBatch', 'preparedStatements'];

/** An SQL identifier we quote: 1 to `max` bytes of UTF-8 without NUL. */
function identifier(value: unknown, fallback: string, name: string, max = 63): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || v === '' || v.includes('\u0000') || Buffer.byteLength(v) > max) {
    fail(`postgresStore ${name} must be a non-empty string of at most ${max} bytes without NUL (got ${JSON.stringify(v)}).`);
  }
  return v;
}

/** Validates `postgresStore`'s options; throws a TypeError that says what to change. */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  if (typeof options !== 'object' || options === null) fail('postgresStore needs { pool }: a pg.Pool, e.g. new pg.Pool({ connectionString: process.env.DATABASE_URL }).');
  checkKeys(options, KNOWN, 'postgresStore', (key, known) => `postgresStore does not know the option "${key}"; the options are ${known.join(', ')}.`);
  const pool = options.pool;
  if (typeof pool !== 'object' || pool === null || typeof pool.connect !== 'function' || typeof pool.query !== 'function') {
    fail('postgresStore needs { pool }: a pg.Pool, e.g. new pg.Pool({ connectionString: process.env.DATABASE_URL }).');
  }
  const createTable = flag(options.createTable, false, 'postgresStore createTable');
  const prepared = flag(options.preparedStatements, true, 'postgresStore preparedStatements');
  const timeout = positive(options.commandTimeout, '1s', 'postgresStore commandTimeout');
  const heartbeat = positive(options.heartbeat, '500ms', 'postgresStore heartbeat', { min: 10 });
  const listen = options.listen ?? (pool.options as ClientConfig);
  if (listen !== false && (typeof listen !== 'object' || listen === null)) fail('postgresStore listen must be false or a pg client config such as { connectionString }.');
  const pruneBatch = wholeNumber(options.pruneBatch, 16, 'postgresStore pruneBatch', { min: 0, max: 10_000 });
  return {
    pool,
    schema: identifier(options.schema, 'public', 'schema'),
    table: identifier(options.table, 'latchkey_sessions', 'table', 50),
    createTable,
    timeout,
    // the heartbeat channel is `<channel>:hb:<12 characters>`, and PostgreSQL channel names end at 63 bytes
    channel: identifier(options.channel, 'latchkey', 'channel', 40),
    listen,
    heartbeat,
    pruneBatch,
    prepared,
  };
}
