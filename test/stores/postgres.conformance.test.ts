import pg from 'pg';
import { postgresStore } from '../../src/entries/postgres.js';
import { runStoreConformance } from '../../src/entries/testing.js';
import { afterAll, beforeAll, describe } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store', () => {
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

  // A table per store: tests stay independent, and createTable runs (under its lock) for each.
  runStoreConformance('postgres', () => postgresStore({ pool, table: `sessions_${++n}`, createTable: true, channel: `lk_${n}` }), {
    // Counts the user's rows straight from the table, expired ones included: they must be pruned.
    indexSize: async (_store, userId) => {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM public."sessions_${n}" WHERE user_id = $1`, [userId]);
      return rows[0]!.n;
    },
  });
});
