// The session cache on PostgreSQL: two instances, two pools (and LISTEN connections), one real server
// (scenarios in test/support/cache-scenarios.ts).
import pg from 'pg';
import { postgresStore } from '../../src/entries/postgres.js';
import { describeSessionCache } from '../support/cache-scenarios.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../support/postgres.js';

let server: PostgresServer | undefined;
const pools: pg.Pool[] = [];

function pool(port: number): pg.Pool {
  const p = new pg.Pool({ ...server!.config, port, max: 4, connectionTimeoutMillis: 5000 });
  p.on('error', () => {}); // an app logs these; the store reports failures as store_unavailable
  pools.push(p);
  return p;
}

describeSessionCache('PostgreSQL', postgresAvailable, {
  async start() {
    server = await startPostgres();
    const store = postgresStore({ pool: pool(server.port), createTable: true, table: 'cached', listen: false });
    await store.ready();
    return server.port;
  },
  async stop() {
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
    server?.stop();
  },
  async store(port) {
    const p = pool(port);
    return postgresStore({ pool: p, table: 'cached', heartbeat: '100ms', commandTimeout: '300ms', listen: { ...server!.config, port } }) as ReturnType<typeof postgresStore> & { broadcastLag(): number };
  },
  async dump() {
    const { rows } = await pool(server!.port).query('SELECT * FROM cached');
    return JSON.stringify(rows);
  },
});
