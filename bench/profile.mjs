// Where a request's server CPU goes, by owner: `node bench/profile.mjs <framework> <variant>...` (variants of
// bench/http-server.mjs). Each server runs under `--cpu-prof` on core 0 while wrk (or autocannon) loads GET /me
// from core 1; the profile's samples are then summed by who owns the code (latchkey's dist/, the framework, its
// Node server, Node's own JS, the write syscalls, GC) and divided by the requests served: µs per request.
//
// Why this exists next to http.mjs. On a VM whose cross-core wake-ups are dear, the write syscall that answers
// a request costs 18-40 µs and moves with the load's rhythm (a server that answers in batches after a store round
// trip pays less per write than one that answers at once), so req/s ratios amplify a few µs of JS into 0.1x swings.
// The `latchkey` row here is the cost latchkey itself adds per request, free of that; compare it with the
// `bench` row of `hash-floor` (the SHA-256 and compare every hashed-at-rest check pays).
// Env: BENCH_HTTP_SECONDS (default 6), BENCH_PROFILE_TOP (print the N functions of most self time per variant), BENCH_HTTP_LOAD (wrk when installed, else autocannon).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasWrk } from './http-lib.mjs';
import { freePort, requireBuild, ROOT, startRedis } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';

requireBuild('index');
const [framework, ...variants] = process.argv.slice(2);
if (!framework || variants.length === 0) {
  console.error('usage: node bench/profile.mjs <express|fastify|koa|hono> <variant>...   (e.g. hono bare hash-floor latchkey-cookie)');
  process.exit(2);
}
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 0);
const TOOL = process.env.BENCH_HTTP_LOAD ?? (hasWrk() ? 'wrk' : 'autocannon');

/** Which owner a profile node's code belongs to. */
function owner(node) {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return 'idle (waiting for the network)';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === 'writev' || functionName === 'writeUtf8String' || functionName === 'writeBuffer' || functionName === 'writeLatin1String') return 'write syscalls (answering)';
  if (url.includes('/dist/')) {
    if (url.includes('/node_modules/')) return url.includes('@hono/node-server') ? 'framework server (@hono/node-server)' : `framework (${url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1]})`;
    return 'latchkey';
  }
  if (url.includes('/node_modules/')) return `framework (${url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1]})`;
  if (url.includes('/bench/')) return 'bench app (routes, hash-floor check)';
  if (url.startsWith('node:') || url === '') return functionName.startsWith('(') ? `node ${functionName}` : 'node (http, streams, crypto JS)';
  return 'other';
}

/** Sums a .cpuprofile's sample time by owner, in µs. */
function byOwner(profile) {
  const totals = new Map();
  const time = new Map();
  for (let i = 0; i < profile.samples.length; i++) time.set(profile.samples[i], (time.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  for (const node of profile.nodes) {
    const t = time.get(node.id) ?? 0;
    if (t > 0) totals.set(owner(node), (totals.get(owner(node)) ?? 0) + t);
  }
  return totals;
}

/** With BENCH_PROFILE_TOP=N: the N functions of most self time (µs per request), to see inside an owner's row. */
function printTop(variant, profile, requests) {
  const time = new Map();
  for (let i = 0; i < profile.samples.length; i++) time.set(profile.samples[i], (time.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + (time.get(node.id) ?? 0));
  }
  console.log(`\n${variant}: top ${TOP} functions by self time (µs per request)`);
  for (const [key, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${(t / requests).toFixed(2).padStart(7)}  ${key}`);
}

async function profileOne(variant, stores) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
  const exitOnTerm = join(dir, 'exit.mjs');
  writeFileSync(exitOnTerm, "process.on('SIGTERM', () => process.exit(0));\n"); // so the profile is written
  const port = await freePort();
  const server = spawn('taskset', ['-c', '0', process.execPath, '--import', exitOnTerm, '--cpu-prof', `--cpu-prof-dir=${dir}`, 'bench/http-server.mjs', framework, variant, String(port), stores.redis?.url ?? '', stores.postgres?.url ?? ''], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve());
    server.once('exit', (code) => reject(new Error(`${framework}/${variant} exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const login = await fetch(`${url}/login`, { method: 'POST' });
  const body = await login.json();
  const bearer = variant.endsWith('bearer') || variant.includes('jwt');
  const cookie = login.headers.getSetCookie().filter((line) => !/;\s*path=(?!\/(;|$))/i.test(line)).map((line) => line.split(';')[0]).join('; ');
  const headers = bearer ? { authorization: `Bearer ${body.accessToken}` } : cookie ? { cookie } : {};
  const load = execFileSync('taskset', ['-c', '1', process.execPath, 'bench/http-load.mjs', JSON.stringify({ url: `${url}/me`, headers, connections: 50, pipelining: 1, warmup: 0, duration: SECONDS, tool: TOOL })], { cwd: ROOT, encoding: 'utf8' });
  const result = JSON.parse(load.trim().split('\n').pop());
  await new Promise((resolve) => (server.once('exit', resolve), server.kill('SIGTERM')));
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const totals = byOwner(profile);
  if (TOP > 0) printTop(variant, profile, result.requests);
  return { variant, requests: result.requests, rps: result.rps, totals };
}

const needsRedis = variants.some((v) => v.includes('redis'));
const needsPostgres = variants.some((v) => v.includes('postgres'));
const stores = { redis: needsRedis ? await startRedis() : null, postgres: needsPostgres ? await startPostgres() : null };
try {
  for (const store of [stores.redis, stores.postgres]) if (store) execFileSync('taskset', ['-apc', '1', String(store.pid)], { stdio: 'ignore' });
  const runs = [];
  for (const variant of variants) runs.push(await profileOne(variant, stores));
  const owners = [...new Set(runs.flatMap((r) => [...r.totals.keys()]))].sort();
  console.log(`\n### ${framework}: server CPU per request by owner (µs, from --cpu-prof; ${TOOL}, 50 connections, ${SECONDS} s, startup included)\n`);
  console.log(`| owner | ${runs.map((r) => r.variant).join(' | ')} |`);
  console.log(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
  for (const name of owners) console.log(`| ${name} | ${runs.map((r) => ((r.totals.get(name) ?? 0) / r.requests).toFixed(2)).join(' | ')} |`);
  const busy = (r) => [...r.totals].filter(([name]) => !name.startsWith('idle')).reduce((sum, [, t]) => sum + t, 0) / r.requests;
  console.log(`| **busy, all owners** | ${runs.map((r) => busy(r).toFixed(1)).join(' | ')} |`);
  console.log(`| req/s (while profiled) | ${runs.map((r) => Math.round(r.rps).toLocaleString('en-US')).join(' | ')} |`);
} finally {
  await stores.redis?.stop();
  stores.postgres?.stop();
}
