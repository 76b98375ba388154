// Ratios to bare that hold on a machine whose speed drifts: `node bench/http-slices.mjs <framework> <variant>...`
//
// Why this exists next to http.mjs. On the VMs here the whole machine has slow phases lasting 10-20 s in which
// every server, bare included, costs 1.5-1.8x the CPU per request (seen with bench/profile.mjs: the hash floor
// at 67 µs, then 112 µs, then 67 µs again, nothing changed in between). http.mjs starts a fresh server for each
// 5 s run, so a pair "bare before, variant, bare after" spans 15-20 s and a phase change inside it moves a ratio
// by 0.2x. Here every server is started (and warmed) first, then loaded in 1 s slices, bare between any two
// variants: a ratio pairs runs 1-2 s apart, each round starts at another variant, and the median of many rounds
// is kept with its interquartile range, so a slow phase spoils a few slices, not the answer.
// The servers are those of bench/http-server.mjs (all on core 0, one at a time under load; the idle ones cost
// nothing), wrk on core 1 (50 connections, no pipelining, as in the issue's measurements), the stores on core 1.
// Env: BENCH_SLICES (rounds, default 15), BENCH_SLICE_SECONDS (default 1), BENCH_HTTP_LOAD (wrk when installed).
import { execFileSync } from 'node:child_process';
import { credentials, cpuNanos, hasWrk, LABEL, pin, run, startServer } from './http-lib.mjs';
import { fmtRatio, requireBuild, startRedis, table } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';

requireBuild();
const [framework, ...asked] = process.argv.slice(2);
if (!framework || asked.length === 0) {
  console.error('usage: node bench/http-slices.mjs <express|fastify|koa|hono> <variant>...   (e.g. hono hash-floor latchkey-cookie latchkey-bearer)');
  process.exit(2);
}
const variants = asked.filter((v) => v !== 'bare');
const ROUNDS = Number(process.env.BENCH_SLICES ?? 15);
const SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 1);
const TOOL = process.env.BENCH_HTTP_LOAD ?? (hasWrk() ? 'wrk' : 'autocannon');

/** One slice: `seconds` of load on one server; req/s and the server's CPU µs per request over exactly that load. */
async function slice(server, seconds) {
  let cpuStart = NaN;
  const load = run([...pin(1), process.execPath, 'bench/http-load.mjs', JSON.stringify({ url: `${server.url}/me`, headers: server.headers, connections: 50, pipelining: 1, warmup: 0, duration: seconds, tool: TOOL })], {
    onLine: (out) => Number.isNaN(cpuStart) && out.includes('measuring') && (cpuStart = cpuNanos(server.pid)),
  });
  const { code, out, err } = await load.done;
  const cpu = cpuNanos(server.pid) - cpuStart;
  if (code !== 0) throw new Error(`load generator failed: ${err.slice(0, 500)}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.variant}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.rps, cpuMicros: cpu / 1000 / result.requests };
}

/** The value at quantile q (0..1) of a list of numbers, linearly interpolated. */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
}

const needsRedis = variants.some((v) => v.includes('redis'));
const needsPostgres = variants.some((v) => v.includes('postgres'));
const redis = needsRedis ? await startRedis() : null;
const postgres = needsPostgres ? await startPostgres() : null;
const servers = [];
try {
  for (const store of [redis, postgres]) if (store) execFileSync('taskset', ['-apc', '1', String(store.pid)], { stdio: 'ignore' });
  for (const variant of ['bare', ...variants]) {
    const server = await startServer(framework, variant, { redisUrl: redis?.url ?? '', postgresUrl: postgres?.url });
    servers.push(server);
    server.variant = variant;
    server.headers = { accept: 'application/json', 'user-agent': 'latchkey-bench', ...(await credentials(server.url, variant)) };
    const check = await fetch(`${server.url}/me`, { headers: server.headers });
    const body = await check.json();
    const expected = variant === 'bare' || variant === 'noop' ? 'anonymous' : 'user-1';
    if (check.status !== 200 || body.userId !== expected) throw new Error(`${variant}: GET /me answered ${check.status} ${JSON.stringify(body)}`);
    await slice(server, 2); // warm-up: the JIT has settled before the first measured slice
  }
  const [bare, ...others] = servers;
  const ratios = new Map(variants.map((v) => [v, { rps: [], cpu: [], rpsAbs: [], cpuAbs: [] }]));
  const bareRuns = { rps: [], cpu: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // bare, A, bare, B, bare, ...: each variant between two bare slices; every round starts one variant later
    const order = others.map((_, i) => others[(i + round) % others.length]);
    let before = await slice(bare, SECONDS);
    bareRuns.rps.push(before.rps);
    bareRuns.cpu.push(before.cpuMicros);
    for (const server of order) {
      const r = await slice(server, SECONDS);
      const after = await slice(bare, SECONDS);
      bareRuns.rps.push(after.rps);
      bareRuns.cpu.push(after.cpuMicros);
      const s = ratios.get(server.variant);
      s.rps.push(r.rps / ((before.rps + after.rps) / 2));
      s.cpu.push((before.cpuMicros + after.cpuMicros) / 2 / r.cpuMicros);
      s.rpsAbs.push(r.rps);
      s.cpuAbs.push(r.cpuMicros);
      before = after;
    }
    process.stderr.write(`  round ${round + 1}/${ROUNDS}: ${variants.map((v) => `${v} ${ratios.get(v).rps.at(-1).toFixed(2)}x`).join(', ')}\n`);
  }
  const spread = (values) => `${fmtRatio(quantile(values, 0.5))} (${quantile(values, 0.25).toFixed(2)}–${quantile(values, 0.75).toFixed(2)})`;
  console.log(`\n### ${framework}: GET /me in ${SECONDS} s slices, bare between any two variants, ${ROUNDS} rounds; ${TOOL}, 50 connections; median (interquartile range) of the paired ratios\n`);
  table(
    ['server', 'req/s (median)', 'req/s vs bare', 'server CPU µs/req (median)', 'CPU vs bare (bare µs / µs)'],
    [
      [LABEL.bare, Math.round(quantile(bareRuns.rps, 0.5)).toLocaleString('en-US'), '1.00x', quantile(bareRuns.cpu, 0.5).toFixed(1), '1.00x'],
      ...variants.map((v) => {
        const s = ratios.get(v);
        return [LABEL[v] ?? v, Math.round(quantile(s.rpsAbs, 0.5)).toLocaleString('en-US'), spread(s.rps), quantile(s.cpuAbs, 0.5).toFixed(1), spread(s.cpu)];
      }),
    ],
  );
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  await redis?.stop();
  postgres?.stop();
}
