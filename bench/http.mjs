// HTTP req/s and p99 per framework: bare, latchkey (bearer, cookie on memory, cookie on Redis and on
// PostgreSQL with and without the session cache) and the usual peer for each (express-session on memory,
// connect-redis and connect-pg-simple, @fastify/jwt, @fastify/session, koa-session, hono/jwt on @hono/node-server).
// The server runs pinned to core 0 (`taskset -c 0`), autocannon in its own process on core 1, and
// redis-server (and PostgreSQL) on core 1 too, so the server core does only the server's work. Every ratio is against
// the bare framework measured just before and just after it (paired), in the same run.
// autocannon runs 100 connections x 10 pipelined requests (as fastify's own benchmarks do), so that the
// server core, not the one-core load generator, is the bottleneck and the ratios measure the server.
// Besides req/s, every run records the server's own CPU time per request (all its threads, from
// /proc/<pid>/task/*/schedstat, over the measured seconds): on a machine shared with other work,
// throughput swings with the neighbours' load, while CPU µs per request moves much less, and its
// ratio (bare µs / variant µs) is the throughput ratio the server would have on a core of its own.
// Usage: node bench/http.mjs   (env BENCH_HTTP_LOAD=autocannon|wrk, BENCH_HTTP_SECONDS=3, BENCH_HTTP_WARMUP=1, BENCH_HTTP_CONNECTIONS=100,
//                               BENCH_HTTP_PIPELINING=10, BENCH_ROUNDS=1, BENCH_HTTP_ONLY=express,fastify,hono,
//                               BENCH_HTTP_VARIANTS=latchkey-bearer,latchkey-cookie)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, cpuNanos, LABEL, pin, run, startServer } from './http-lib.mjs';
import { fmtRatio, median, requireBuild, ROOT, saveJSON, startRedis, table } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';

requireBuild();
// BENCH_HTTP_LOAD=wrk: wrk instead of autocannon (the set-up of issue 17's measurements: wrk, 50 connections,
// no pipelining, 5 s); the connection, pipelining and duration defaults follow the tool.
const TOOL = process.env.BENCH_HTTP_LOAD ?? 'autocannon';
const WRK = TOOL === 'wrk';
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? (WRK ? 5 : 3));
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP ?? 1);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? (WRK ? 50 : 100));
const PIPELINING = Number(process.env.BENCH_HTTP_PIPELINING ?? (WRK ? 1 : 10));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

// latchkey's cookie on the shared stores: with the session cache (the default) and without it (session.cache: false)
const SHARED_STORES = ['latchkey-cookie-redis', 'latchkey-cookie-redis-nocache', 'latchkey-cookie-postgres', 'latchkey-cookie-postgres-nocache'];
const PLAN = {
  express: ['bare', 'noop', 'hash-floor', 'latchkey-bearer', 'latchkey-cookie', ...SHARED_STORES, 'express-session-memory', 'express-session-redis', 'express-session-postgres'],
  fastify: ['bare', 'noop', 'hash-floor', 'latchkey-bearer', 'latchkey-cookie', ...SHARED_STORES, 'fastify-jwt', 'fastify-jwt-cache', 'fastify-session-redis', 'fastify-session-postgres'],
  koa: ['bare', 'noop', 'hash-floor', 'latchkey-bearer', 'latchkey-cookie', ...SHARED_STORES, 'koa-session', 'koa-session-redis'],
  hono: ['bare', 'noop', 'hash-floor', 'latchkey-bearer', 'latchkey-cookie', ...SHARED_STORES, 'hono-jwt'],
};
const only = process.env.BENCH_HTTP_ONLY?.split(',');
const onlyVariants = process.env.BENCH_HTTP_VARIANTS?.split(',');

async function measure(framework, variant, stores) {
  const server = await startServer(framework, variant, stores);
  try {
    const headers = { accept: 'application/json', 'user-agent': 'latchkey-bench', ...(await credentials(server.url, variant)) };
    const check = await fetch(`${server.url}/me`, { headers });
    const body = await check.json();
    const expected = variant === 'bare' || variant === 'noop' ? 'anonymous' : 'user-1';
    if (check.status !== 200 || body.userId !== expected) throw new Error(`GET /me answered ${check.status} ${JSON.stringify(body)}`);
    let cpuStart = NaN;
    const load = run([...pin(1), process.execPath, 'bench/http-load.mjs', JSON.stringify({ url: `${server.url}/me`, headers, connections: CONNECTIONS, pipelining: PIPELINING, warmup: WARMUP, duration: SECONDS, tool: TOOL })], {
      onLine: (out) => Number.isNaN(cpuStart) && out.includes('measuring') && (cpuStart = cpuNanos(server.pid)),
    });
    const { code, out, err } = await load.done;
    const cpu = cpuNanos(server.pid) - cpuStart;
    if (code !== 0) throw new Error(`load generator failed: ${err.slice(0, 500)}`);
    const result = JSON.parse(out.trim().split('\n').pop());
    result.cpuMicros = cpu / 1000 / result.requests;
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
    return result;
  } finally {
    await server.stop();
  }
}

const redis = await startRedis();
try {
  execFileSync('taskset', ['-pc', '1', String(redis.pid)], { stdio: 'ignore' });
} catch {}
// PostgreSQL only when a postgres row is planned; its backends (forked later) inherit core 1 from the postmaster
const planned = Object.entries(PLAN).flatMap(([framework, variants]) => (only && !only.includes(framework) ? [] : variants.filter((v) => !onlyVariants || onlyVariants.includes(v))));
const postgres = planned.some((v) => v.includes('postgres')) ? await startPostgres() : null;
if (postgres) {
  try {
    execFileSync('taskset', ['-apc', '1', String(postgres.pid)], { stdio: 'ignore' });
  } catch {}
}
const stores = { redisUrl: redis.url, postgresUrl: postgres?.url };

const samples = {};
const notes = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [framework, variants] of Object.entries(PLAN)) {
      if (only && !only.includes(framework)) continue;
      const adapterBuilt = existsSync(join(ROOT, 'dist', `${framework}.js`));
      // Paired: bare runs before and after every variant, and the variant is compared with the mean of
      // those two, so a neighbour process that steals the core for a while skews one pair, not a column.
      const bareKey = `${framework}/bare`;
      const bareSamples = (samples[bareKey] ??= { rps: [], p99: [], ratio: [], cpu: [], cpuRatio: [] });
      const runBare = async () => {
        const r = await measure(framework, 'bare', stores);
        bareSamples.rps.push(r.rps);
        bareSamples.p99.push(r.p99);
        bareSamples.ratio.push(1);
        bareSamples.cpu.push(r.cpuMicros);
        bareSamples.cpuRatio.push(1);
        process.stderr.write(`  ${bareKey}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${r.cpuMicros.toFixed(1)} µs CPU/req\n`);
        return r;
      };
      let before = await runBare();
      for (const variant of variants.filter((v) => v !== 'bare' && (!onlyVariants || onlyVariants.includes(v)))) {
        if (variant.startsWith('latchkey-') && !adapterBuilt) {
          if (round === 0) notes.push(`latchkey/${framework} is not built (dist/${framework}.js missing): its rows are skipped.`);
          continue;
        }
        const key = `${framework}/${variant}`;
        const s = (samples[key] ??= { rps: [], p99: [], ratio: [], cpu: [], cpuRatio: [] });
        try {
          const r = await measure(framework, variant, stores);
          const after = await runBare();
          s.rps.push(r.rps);
          s.p99.push(r.p99);
          const ratio = r.rps / ((before.rps + after.rps) / 2);
          s.ratio.push(ratio);
          s.cpu.push(r.cpuMicros);
          const cpuRatio = (before.cpuMicros + after.cpuMicros) / 2 / r.cpuMicros;
          s.cpuRatio.push(cpuRatio);
          before = after;
          process.stderr.write(`  ${key}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${ratio.toFixed(2)}x bare; ${r.cpuMicros.toFixed(1)} µs CPU/req, ${cpuRatio.toFixed(2)}x bare\n`);
        } catch (error) {
          s.error = error.message;
          process.stderr.write(`  ${key}: FAILED ${error.message}\n`);
        }
      }
    }
  }
} finally {
  await redis.stop();
  postgres?.stop();
}

const results = {};
for (const [key, s] of Object.entries(samples)) {
  const spread = (values) => (values.length > 1 ? [Math.min(...values), Math.max(...values)] : null);
  results[key] = s.rps.length
    ? { rps: median(s.rps), p99: median(s.p99), vsBare: median(s.ratio), vsBareRange: spread(s.ratio), cpuMicros: median(s.cpu), cpuVsBare: median(s.cpuRatio), cpuVsBareRange: spread(s.cpuRatio) }
    : { error: s.error };
}

console.log(`\n### HTTP GET /me, ${CONNECTIONS} connections x ${PIPELINING} pipelined, ${SECONDS} s after ${WARMUP} s warmup, median of ${ROUNDS} round(s); server on core 0, ${TOOL} on core 1; "vs bare" = paired with the bare runs just before and after\n`);
for (const [framework, variants] of Object.entries(PLAN)) {
  const rows = variants
    .filter((v) => results[`${framework}/${v}`])
    .map((v) => {
      const r = results[`${framework}/${v}`];
      const range = (pair) => (pair ? ` (${pair[0].toFixed(2)}–${pair[1].toFixed(2)})` : '');
      return r.error
        ? [LABEL[v], `failed: ${r.error}`, '', '', '', '']
        : [LABEL[v], Math.round(r.rps).toLocaleString('en-US'), String(Math.round(r.p99 * 100) / 100), fmtRatio(r.vsBare) + range(r.vsBareRange), r.cpuMicros.toFixed(1), fmtRatio(r.cpuVsBare) + range(r.cpuVsBareRange)];
    });
  if (rows.length === 0) continue;
  console.log(`\n**${framework}**\n`);
  table(['server', 'req/s', 'p99 ms', 'req/s vs bare', 'server CPU µs/req', 'CPU vs bare (bare µs / µs)'], rows);
}
// Head to head through each side's paired ratio to bare (the two ran minutes apart).
const ratio = (a, b) => (results[a]?.vsBare && results[b]?.vsBare ? results[a].vsBare / results[b].vsBare : NaN);
const cpuRatio = (a, b) => (results[a]?.cpuMicros && results[b]?.cpuMicros ? results[b].cpuMicros / results[a].cpuMicros : NaN);
const pairs = [
  ['latchkey bearer / @fastify/jwt (fastify)', 'fastify/latchkey-bearer', 'fastify/fastify-jwt'],
  ['latchkey bearer / @fastify/jwt with cache (fastify)', 'fastify/latchkey-bearer', 'fastify/fastify-jwt-cache'],
  ['latchkey cookie on Redis / express-session + connect-redis (express)', 'express/latchkey-cookie-redis', 'express/express-session-redis'],
  ['latchkey cookie on Redis / @fastify/session + connect-redis (fastify)', 'fastify/latchkey-cookie-redis', 'fastify/fastify-session-redis'],
  ['latchkey cookie on Redis / koa-session + koa-redis (koa)', 'koa/latchkey-cookie-redis', 'koa/koa-session-redis'],
  ['latchkey cookie on PostgreSQL / express-session + connect-pg-simple (express)', 'express/latchkey-cookie-postgres', 'express/express-session-postgres'],
  ['latchkey cookie on PostgreSQL / @fastify/session + connect-pg-simple (fastify)', 'fastify/latchkey-cookie-postgres', 'fastify/fastify-session-postgres'],
  ...['express', 'fastify', 'koa', 'hono'].flatMap((f) => [
    [`latchkey cookie on Redis, cache on / off (${f})`, `${f}/latchkey-cookie-redis`, `${f}/latchkey-cookie-redis-nocache`],
    [`latchkey cookie on PostgreSQL, cache on / off (${f})`, `${f}/latchkey-cookie-postgres`, `${f}/latchkey-cookie-postgres-nocache`],
  ]),
  ['latchkey cookie on memory / express-session MemoryStore (express)', 'express/latchkey-cookie', 'express/express-session-memory'],
  ['latchkey cookie on memory / koa-session (koa)', 'koa/latchkey-cookie', 'koa/koa-session'],
  ['latchkey bearer / hono/jwt (hono)', 'hono/latchkey-bearer', 'hono/hono-jwt'],
].filter(([, a, b]) => results[a] && results[b]);
console.log('\n**head to head (same run; req/s through each side\'s paired ratio to bare, CPU as the other side\'s µs / ours)**\n');
table(
  ['comparison', 'req/s ratio', 'CPU ratio'],
  pairs.map(([label, a, b]) => [label, fmtRatio(ratio(a, b)), fmtRatio(cpuRatio(a, b))]),
);
for (const note of notes) console.log(`\n> ${note}`);
saveJSON('http', { tool: TOOL, connections: CONNECTIONS, pipelining: PIPELINING, seconds: SECONDS, rounds: ROUNDS, results, notes });
