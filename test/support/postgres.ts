// A real throwaway PostgreSQL cluster for the store tests: initdb into a temporary directory, pg_ctl start on
// a free loopback port, stop and remove on teardown. No mocks. initdb refuses to run as root, so as root the
// binaries run as the `postgres` user (runuser). Without the binaries the tests skip with a loud notice,
// except under CI=true, where a missing binary is a failure.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const INITDB = join(BIN, 'initdb');
const PG_CTL = join(BIN, 'pg_ctl');

/** True when initdb and pg_ctl are installed; throws under CI=true when they are not. */
export const postgresAvailable: boolean = (() => {
  if (existsSync(INITDB) && existsSync(PG_CTL)) return true;
  const message = `PostgreSQL binaries not found in ${BIN}: install the Debian package postgresql (15), or set PG_BIN_DIR.`;
  if (process.env.CI === 'true') throw new Error(`latchkey tests: ${message} PostgreSQL tests may not skip under CI.`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING POSTGRESQL TESTS: ${message}\n${'!'.repeat(78)}\n`);
  return false;
})();

const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function run(bin: string, args: string[], timeout = 60_000): { status: number | null; output: string } {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** A running throwaway PostgreSQL server. */
export interface PostgresServer {
  readonly port: number;
  /** A connection string for the superuser `postgres` on database `postgres` (trust auth on loopback). */
  readonly url: string;
  readonly config: { host: string; port: number; user: string; database: string };
  /** `pg_ctl stop -m immediate`: every backend dies at once, like a crash (committed work survives in WAL). */
  crash(): void;
  /** Starts the server again on the same port and data directory (crash recovery replays WAL). */
  start(): void;
  /** Stops the server and removes its directory. */
  stop(): void;
  /** Freezes the whole server (SIGSTOP to the postmaster and every backend): sockets stay open, nothing answers. */
  pause(): void;
  /** Unfreezes a paused server (SIGCONT). */
  resume(): void;
}

/** Initialises a cluster in a temporary directory and starts it on a free loopback port. */
export async function startPostgres(settings: Record<string, string> = {}): Promise<PostgresServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const pgUser = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const pgGroup = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pgUser.stdout.trim()), Number(pgGroup.stdout.trim()));
  }
  chmodSync(dir, 0o700);
  const init = run(INITDB, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.output}`);
  const conf = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${dir}'`,
    fsync: 'off', // the OS keeps what was written: an immediate stop (not a machine crash) loses nothing committed
    full_page_writes: 'off',
    shared_buffers: '64MB',
    max_connections: '100',
    logging_collector: 'off',
    ...settings,
  };
  writeFileSync(join(data, 'postgresql.auto.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  if (asRoot) spawnSync('chown', ['postgres:', join(data, 'postgresql.auto.conf')]);
  const log = join(dir, 'server.log');

  function start(): void {
    const started = run(PG_CTL, ['-D', data, '-l', log, '-w', '-t', '30', 'start']);
    if (started.status !== 0) throw new Error(`pg_ctl start failed:\n${started.output}`);
  }

  /** The postmaster (first line of postmaster.pid) and its children, sent `signal`. */
  function signalAll(signal: NodeJS.Signals): void {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of [postmaster, ...children]) process.kill(pid, signal);
  }

  start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    config: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
    crash() {
      run(PG_CTL, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    pause() {
      signalAll('SIGSTOP');
    },
    resume() {
      signalAll('SIGCONT');
    },
    stop() {
      run(PG_CTL, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
