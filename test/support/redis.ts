// Real redis-server processes for the store tests: one standalone server, or a 3-master Cluster, each on
// free loopback ports with a temporary directory. No mocks. Without the binary the tests skip with a loud
// notice, except under CI=true, where a missing binary is a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const CLI = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';

function binariesPresent(): boolean {
  return existsSync(SERVER) && existsSync(CLI);
}

/** True when redis-server and redis-cli are installed; throws under CI=true when they are not. */
export const redisAvailable: boolean = (() => {
  if (binariesPresent()) return true;
  const message = `redis-server/redis-cli not found (${SERVER}, ${CLI}): install the Debian package redis-server.`;
  if (process.env.CI === 'true') throw new Error(`latchkey tests: ${message} Redis tests may not skip under CI.`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING REDIS TESTS: ${message}\n${'!'.repeat(78)}\n`);
  return false;
})();

/** A port nobody listens on right now (the OS picks it; we release it at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function cli(port: number, ...args: string[]): string {
  const result = spawnSync(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start:\n${output}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${output}`));
    });
  });
}

/** A running redis-server process. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the process with SIGKILL (a crash: nothing is flushed beyond what AOF already has). */
  kill(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered, like a hung server. */
  pause(): void;
  /** Unfreezes a paused process (SIGCONT). */
  resume(): void;
  /** Starts the server again on the same port and directory (AOF, if on, is replayed). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Options for `startRedis`. */
export interface StartRedisOptions {
  /** appendonly yes + appendfsync always, so a killed server loses nothing it acknowledged. */
  aof?: boolean;
  /** Extra redis-server arguments. */
  args?: string[];
  port?: number;
  dir?: string;
}

/** Starts a redis-server on a free loopback port with its own temporary directory. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'latchkey-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--protected-mode', 'no', '--loglevel', 'notice',
    ...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(options.args ?? []),
  ];
  let child: ChildProcess | null = null;

  async function launch(): Promise<void> {
    const proc = spawn(SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await waitForReady(proc, port);
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
      proc.kill('SIGCONT');
    });
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running Redis Cluster on loopback: 3 masters, and with `replicas` that many replicas per master. */
export interface RedisCluster {
  readonly nodes: { host: string; port: number }[];
  /** Every server, masters and replicas, to kill, pause or restart one. */
  readonly servers: readonly RedisServer[];
  /** True when the server on `port` is a master now. */
  isMaster(port: number): boolean;
  /** Waits until every live node reports cluster_state:ok. */
  waitOk(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts 3 × (1 + replicas) `--cluster-enabled yes` servers, joins them with `redis-cli --cluster create`, waits for cluster_state:ok. */
export async function startCluster(options: { replicas?: number; args?: string[] } = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const servers: RedisServer[] = [];
  const alive = new Set<RedisServer>();
  const waitOk = async (ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (![...alive].every((s) => cli(s.port, 'cluster', 'info').includes('cluster_state:ok'))) {
      if (Date.now() > deadline) throw new Error(`Redis Cluster did not reach cluster_state:ok within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    for (let i = 0; i < 3 * (1 + replicas); i++) {
      const busPort = await freePort();
      servers.push(
        await startRedis({
          aof: replicas > 0,
          args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0', ...(options.args ?? [])],
        }),
      );
    }
    for (const s of servers) alive.add(s);
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync(CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    await waitOk();
    if (replicas > 0) {
      // a replica can take over only once it has synced: wait for every replication link to be up
      const deadline = Date.now() + 30_000;
      const linked = (s: RedisServer): boolean => cli(s.port, 'info', 'replication').includes('master_link_status:up');
      while (servers.filter((s) => cli(s.port, 'info', 'replication').includes('role:slave') && linked(s)).length < 3 * replicas) {
        if (Date.now() > deadline) throw new Error('Redis Cluster replicas did not sync within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    servers: servers.map((s) => ({
      ...s,
      kill: async () => {
        alive.delete(s);
        await s.kill();
      },
    })),
    isMaster(port) {
      return cli(port, 'info', 'replication').includes('role:master');
    },
    waitOk,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
