// A throwaway PostgreSQL 15 cluster for the benchmarks (as test/support/postgres.ts does for the tests):
// initdb into a temporary directory, pg_ctl start on a free loopback port; `stop()` removes it.
// As root, the PostgreSQL binaries run as the `postgres` user (initdb refuses root).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './lib.mjs';

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

function run(bin, args) {
  const asRoot = userInfo().uid === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]] : [join(BIN, bin), args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${bin} failed: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Starts PostgreSQL with settings close to a small production box (fsync on, synchronous_commit on). */
export async function startPostgres() {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`bench: PostgreSQL not found in ${BIN} (apt-get install postgresql, or set PG_BIN_DIR)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-pg-'));
  if (userInfo().uid === 0) spawnSync('chown', ['postgres:', dir]);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  const conf = { listen_addresses: "'127.0.0.1'", port, unix_socket_directories: `'${dir}'`, shared_buffers: "'256MB'", max_connections: 200 };
  writeFileSync(join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  if (userInfo().uid === 0) spawnSync('chown', ['-R', 'postgres:', dir]);
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', 'start']);
  const pid = Number(spawnSync('head', ['-1', join(data, 'postmaster.pid')], { encoding: 'utf8' }).stdout.trim());
  return {
    port,
    pid,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    config: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
