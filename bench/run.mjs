// `npm run bench`: runs every benchmark in its own process, one after another, then prints the machine,
// the versions and every target as met / not met. All ratios come from this one run on this machine.
// Usage: node bench/run.mjs [--only verify,ops,http,memory,redis-roundtrips] [--out results.md]
// Build first: `npx tsup` (or `npm run build`).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmtOps, fmtRatio, machine, requireBuild, ROOT, table, versionOf } from './lib.mjs';

requireBuild();
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const outFile = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const jsonDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));

const SCRIPTS = [
  ['verify', []],
  ['ops', []],
  ['redis-roundtrips', []],
  ['http', []],
  ['memory', ['--expose-gc']],
];

let transcript = '';
const print = (text) => {
  process.stdout.write(text);
  transcript += text;
};

const m = machine();
print(`# latchkey benchmarks\n\n`);
print(`- date: ${m.date}\n- machine: ${m.nproc} cores (nproc), ${m.cpu}\n- Node ${m.node}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const packages = ['jose', 'fast-jwt', 'jsonwebtoken', 'express', 'express-session', 'connect-redis', 'redis', 'fastify', '@fastify/jwt', 'koa', 'koa-session', 'ioredis', 'autocannon'];
print(`- versions: latchkey ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}, ${packages.map((p) => `${p} ${versionOf(p)}`).join(', ')}\n`);
print(`- every ratio compares numbers measured in this same run, on this same machine\n`);

for (const [name, nodeArgs] of SCRIPTS) {
  if (only && !only.includes(name)) continue;
  const file = join(ROOT, 'bench', `${name}.mjs`);
  if (!existsSync(file)) {
    print(`\n> bench/${name}.mjs is not there yet; skipped.\n`);
    continue;
  }
  const started = performance.now();
  process.stderr.write(`\n[bench] ${name}...\n`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, file], { cwd: ROOT, env: { ...process.env, BENCH_JSON_DIR: jsonDir }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => print(String(chunk)));
    child.on('exit', resolve);
  });
  process.stderr.write(`[bench] ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s (exit ${code})\n`);
  if (code !== 0) print(`\n> bench/${name}.mjs exited with code ${code}.\n`);
}

const load = (name) => {
  try {
    return JSON.parse(readFileSync(join(jsonDir, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
};
const verify = load('verify');
const http = load('http');
const rt = load('redis-roundtrips');
const memory = load('memory');

const rows = [];
const target = (name, value, met) => rows.push([name, value, met === null ? 'not measured' : met ? 'met' : 'NOT met']);
if (verify) {
  const warm = Math.min(...['EdDSA', 'ES256', 'RS256', 'HS256'].map((a) => verify.results[a]?.latchkey?.warm ?? 0));
  target('warm bearer verify ≥ 300k ops/s (slowest algorithm)', `${fmtOps(warm)} ops/s`, warm >= 300_000);
  const request = verify.path['bearer, warm cache (EdDSA)'];
  target('warm bearer through auth.authenticate() ≥ 300k ops/s', `${fmtOps(request)} ops/s`, request >= 300_000);
  for (const alg of ['EdDSA', 'ES256']) {
    const r = verify.results[alg];
    const ratio = r.latchkey.cold / r['raw node:crypto'].cold;
    target(
      `cold verify ${alg} ≥ 0.45x raw node:crypto (one at a time)`,
      `${ratio.toFixed(3)}x (${fmtOps(r.latchkey.cold)} vs ${fmtOps(r['raw node:crypto'].cold)}; jose direct ${fmtRatio(r['jose direct'].cold / r['raw node:crypto'].cold)}; 32 in flight ${fmtRatio(r.latchkey.par / r['raw node:crypto'].cold)})`,
      ratio >= 0.45,
    );
  }
}
if (http) {
  const h = http.results;
  for (const fw of ['express', 'fastify', 'koa']) {
    const r = h[`${fw}/latchkey-bearer`];
    target(`HTTP bearer ≥ 0.90x bare (${fw})`, r?.vsBare ? `${r.vsBare.toFixed(3)}x` : 'n/a', r?.vsBare ? r.vsBare >= 0.9 : null);
  }
  const vs = (a, b) => (h[a]?.vsBare && h[b]?.vsBare ? h[a].vsBare / h[b].vsBare : NaN); // via each one's paired ratio to bare
  const jwt = vs('fastify/latchkey-bearer', 'fastify/fastify-jwt');
  const jwtCache = vs('fastify/latchkey-bearer', 'fastify/fastify-jwt-cache');
  target('HTTP bearer ≥ 1.0x @fastify/jwt (fastify)', `${jwt.toFixed(3)}x (vs @fastify/jwt with cache: ${fmtRatio(jwtCache)})`, Number.isFinite(jwt) ? jwt >= 1 : null);
  for (const fw of ['express', 'fastify', 'koa']) {
    const r = h[`${fw}/latchkey-cookie`];
    target(`HTTP cookie session ≥ 0.90x bare, memory (${fw})`, r?.vsBare ? `${r.vsBare.toFixed(3)}x` : 'n/a', r?.vsBare ? r.vsBare >= 0.9 : null);
  }
  const redis = vs('express/latchkey-cookie-redis', 'express/express-session-redis');
  target('HTTP cookie on Redis ≥ 1.5x express-session + connect-redis (express)', `${redis.toFixed(3)}x`, Number.isFinite(redis) ? redis >= 1.5 : null);
}
if (rt) {
  const find = (op) => rt.roundTrips.find((r) => r.op === op)?.roundTrips;
  const refresh = find('refresh');
  const signIn = find('sign-in');
  target('refresh rotation: 1 Redis round trip', refresh === undefined ? 'n/a' : String(refresh), refresh === undefined ? null : refresh <= 1);
  target('sign-in: ≤ 2 Redis round trips', signIn === undefined ? 'n/a' : String(signIn), signIn === undefined ? null : signIn <= 2);
}
if (memory) {
  const GiB = 2 ** 30;
  const rss = memory.live['1000000'];
  target('memoryStore: 1M live sessions < 1 GiB RSS', rss ? `${(rss / 2 ** 20).toFixed(0)} MiB` : 'n/a', rss ? rss < GiB : null);
  const full = memory.cycles.map((c) => c.fullRss);
  const empty = memory.cycles.map((c) => c.emptyRss);
  if (full.length > 1) {
    const growth = (full.at(-1) - full[0]) / full[0];
    const emptyGrowth = empty.at(-1) - empty[0];
    target(
      `memoryStore: flat after ${full.length} expiry cycles (full RSS within +5%)`,
      `full ${(full[0] / 2 ** 20).toFixed(0)} -> ${(full.at(-1) / 2 ** 20).toFixed(0)} MiB, after sweep ${(empty[0] / 2 ** 20).toFixed(0)} -> ${(empty.at(-1) / 2 ** 20).toFixed(0)} MiB (${memory.cycleSessions.toLocaleString('en-US')} sessions a cycle)`,
      growth <= 0.05 && emptyGrowth <= 0.05 * empty[0],
    );
  }
}
print(`\n## Targets\n\n`);
const before = transcript.length;
const log = console.log;
console.log = (text) => print(`${text}\n`);
table(['target', 'measured', 'status'], rows);
console.log = log;
if (transcript.length === before) print('(nothing measured)\n');
print(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
if (outFile) writeFileSync(outFile, transcript);
