// What bench/http.mjs and bench/http-slices.mjs share: the variants' labels, core pinning, the server process,
// its CPU time, and the credentials a signed-in client sends.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort, ROOT } from './lib.mjs';

/** What each variant of bench/http-server.mjs is, as the tables say it. */
export const LABEL = {
  bare: 'bare',
  noop: 'bare + one no-op middleware (the ceiling for any auth middleware)',
  'hash-floor': 'bare + one middleware that only hashes the cookie\'s secret (SHA-256) and compares: the floor for any hashed-at-rest check',
  'latchkey-bearer': 'latchkey bearer (EdDSA)',
  'latchkey-cookie': 'latchkey cookie, memoryStore',
  'latchkey-cookie-redis': 'latchkey cookie, redisStore (session cache on: the default)',
  'latchkey-cookie-redis-nocache': 'latchkey cookie, redisStore, session.cache: false',
  'latchkey-cookie-postgres': 'latchkey cookie, postgresStore (session cache on: the default)',
  'latchkey-cookie-postgres-nocache': 'latchkey cookie, postgresStore, session.cache: false',
  'express-session-postgres': 'express-session + connect-pg-simple',
  'fastify-session-postgres': '@fastify/session + connect-pg-simple',
  'express-session-memory': 'express-session, MemoryStore',
  'express-session-redis': 'express-session + connect-redis',
  'fastify-jwt': '@fastify/jwt (EdDSA)',
  'fastify-jwt-cache': '@fastify/jwt (EdDSA, cache: true)',
  'koa-session': 'koa-session (signed cookie)',
  'hono-jwt': 'hono/jwt (EdDSA)',
  'fastify-session-redis': '@fastify/session + connect-redis',
  'koa-session-redis': 'koa-session + koa-redis',
};
/** The taskset prefix that pins a command to `core` (nothing where taskset is missing). */
export const pin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return (core) => ['taskset', '-c', String(core)];
  } catch {
    console.warn('bench: taskset (util-linux) is not available; server and load generator are NOT pinned to separate cores.');
    return () => [];
  }
})();
if (execFileSync('nproc', { encoding: 'utf8' }).trim() === '1') console.warn('bench: one core only; server and load generator share it.');

/** Spawns argv in the repository root; `onLine` sees the stdout so far after each chunk. */
export function run(argv, { onLine } = {}) {
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    onLine?.(out);
  });
  child.stderr.on('data', (chunk) => (err += chunk));
  const done = new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { child, done };
}

/** CPU time (ns) the process has used so far, all threads; `NaN` where /proc is not available. */
export function cpuNanos(pid) {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return total;
  } catch {
    return NaN;
  }
}

/** Starts bench/http-server.mjs for one framework and variant, pinned to core 0; resolves once it is listening. */
export async function startServer(framework, variant, { redisUrl, postgresUrl }) {
  const port = await freePort();
  let ready;
  const started = new Promise((resolve) => (ready = resolve));
  const server = run([...pin(0), process.execPath, 'bench/http-server.mjs', framework, variant, String(port), redisUrl, postgresUrl ?? ''], {
    onLine: (out) => out.includes('ready') && ready(),
  });
  const exited = server.done.then((r) => {
    throw new Error(`server ${framework}/${variant} exited (${r.code}): ${r.err.slice(0, 500)}`);
  });
  await Promise.race([started, exited]);
  exited.catch(() => {});
  return { url: `http://127.0.0.1:${port}`, pid: server.child.pid, stop: () => (server.child.kill('SIGTERM'), server.done) };
}

/** Signs in through POST /login and returns the headers a signed-in client sends on GET /me. */
export async function credentials(url, variant) {
  const res = await fetch(`${url}/login`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`POST /login answered ${res.status}`);
  const body = await res.json();
  if (variant.endsWith('bearer') || variant.startsWith('fastify-jwt') || variant === 'hono-jwt') return { authorization: `Bearer ${body.accessToken}` };
  if (variant === 'bare' || variant === 'noop') return {};
  // What a browser sends to /me: every cookie scoped to Path=/ (latchkey's refresh cookie is path-scoped).
  const pairs = res.headers
    .getSetCookie()
    .filter((line) => !/;\s*path=(?!\/(;|$))/i.test(line))
    .map((line) => line.split(';')[0]);
  return { cookie: pairs.join('; ') };
}

/** Whether wrk is installed (`wrk --version` exits 1 after printing its version). */
export function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return error.status === 1;
  }
}
