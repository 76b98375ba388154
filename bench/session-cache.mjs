// The cookie check in-process, per store, with the session cache (issue 27) and without it: this process's
// CPU time per `auth.authenticate` (process.cpuUsage, so a neighbour's load moves it less than wall time)
// and checks per second, 32 requests in flight over 1000 signed-in sessions (all cached when the cache is on).
// The stores' own servers (redis-server, PostgreSQL) run in other processes: their CPU is not counted here;
// a check answered from the cache costs them nothing. Rounds alternate the rows, the median is reported.
// Usage: node bench/session-cache.mjs   (env BENCH_CACHE_N=20000, BENCH_ROUNDS=3)
import { fmtOps, median, requireBuild, saveJSON, startRedis, table } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';

requireBuild('redis', 'postgres');
const { createAuth, memoryStore } = await import('../dist/index.js');
const { redisStore } = await import('../dist/redis.js');
const { postgresStore } = await import('../dist/postgres.js');
const { default: Redis } = await import('ioredis');
const { default: pg } = await import('pg');

const N = Number(process.env.BENCH_CACHE_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SESSIONS = 1000;
const CONCURRENCY = 32;

const redis = await startRedis();
const postgres = await startPostgres();
const closers = [];
function storeOf(kind) {
  if (kind === 'memory') return memoryStore();
  if (kind === 'redis') {
    const client = new Redis(redis.url, { enableAutoPipelining: true });
    closers.push(() => client.disconnect());
    return redisStore({ client });
  }
  const pool = new pg.Pool({ connectionString: postgres.url, max: 10 });
  closers.push(() => pool.end());
  return postgresStore({ pool, createTable: true });
}

const ROWS = [
  ['memoryStore', 'memory', {}],
  ['redisStore, session cache on (default)', 'redis', {}],
  ['redisStore, session.cache: false', 'redis', { cache: false }],
  ['postgresStore, session cache on (default)', 'postgres', {}],
  ['postgresStore, session.cache: false', 'postgres', { cache: false }],
];

const setups = [];
for (const [label, kind, session] of ROWS) {
  const store = storeOf(kind);
  const auth = createAuth({ store, session, cookies: { secure: false } });
  const requests = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = await auth.signIn({ userId: `user-${i}`, data: { role: 'user', plan: 'pro' } });
    requests.push({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${s.sessionToken}`, 'user-agent': 'bench' } });
  }
  // subscribed and confirmed (the first cookie check subscribes), then every session read once
  for (const r of requests) await auth.authenticate(r);
  for (let wait = Date.now() + 5000; (store.broadcastLag?.() ?? 0) > 300 && Date.now() < wait; ) await new Promise((r) => setTimeout(r, 20));
  for (const r of requests) await auth.authenticate(r);
  setups.push({ label, auth, store, requests, cpu: [], ops: [] });
}

async function measure(setup) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        const ctx = await setup.auth.authenticate(setup.requests[i % SESSIONS]);
        if (!ctx) throw new Error('not authenticated');
      }
    }),
  );
  const wall = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu0);
  setup.cpu.push((user + system) / N);
  setup.ops.push((N * 1000) / wall);
}

try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const setup of round % 2 ? [...setups].reverse() : setups) {
      await measure(setup);
      process.stderr.write(`  ${setup.label}: ${setup.cpu.at(-1).toFixed(2)} µs CPU/check, ${fmtOps(setup.ops.at(-1))}/s\n`);
    }
  }
} finally {
  for (const { auth, store } of setups) {
    await auth.close();
    await store.close?.();
  }
  for (const close of closers) await close();
  await redis.stop();
  postgres.stop();
}

const memory = median(setups[0].cpu);
console.log(`\n### Cookie check in-process (auth.authenticate), ${CONCURRENCY} in flight over ${SESSIONS} sessions, ${N} checks, median of ${ROUNDS} alternated rounds\n`);
table(
  ['store', 'CPU µs / check (this process)', 'vs memoryStore', 'checks/s'],
  setups.map((s) => [s.label, median(s.cpu).toFixed(2), `${(memory / median(s.cpu)).toFixed(2)}x`, fmtOps(median(s.ops))]),
);
saveJSON('session-cache', { n: N, rounds: ROUNDS, rows: setups.map((s) => ({ label: s.label, cpuMicros: median(s.cpu), ops: median(s.ops), cpuSamples: s.cpu })) });
