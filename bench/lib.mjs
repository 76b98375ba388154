// Shared helpers for the benchmarks: timing loops, tables, a throwaway redis-server, machine facts.
// Benchmarks run against the built package (dist/): run `npx tsup` (or `npm run build`) first.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Fails early with a useful message when dist/ has not been built. */
export function requireBuild(...entries) {
  for (const entry of ['index', ...entries]) {
    if (!existsSync(join(ROOT, 'dist', `${entry}.js`))) {
      console.error(`bench: dist/${entry}.js is missing; run \`npx tsup\` (or \`npm run build\`) first.`);
      process.exit(1);
    }
  }
}

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` (sync or async) repeatedly for `ms` and returns operations per second. */
export async function opsPerSecond(fn, ms) {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 64; i++) {
      const r = fn(n + i);
      if (r !== undefined && typeof r.then === 'function') await r;
    }
    n += 64;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (n * 1000) / elapsed;
}

/** Runs `fn` once per item (sync or async, in order) and returns items per second. */
export async function eachPerSecond(items, fn) {
  const start = performance.now();
  for (const item of items) {
    const r = fn(item);
    if (r !== undefined && typeof r.then === 'function') await r;
  }
  return (items.length * 1000) / (performance.now() - start);
}

/** Runs `total` calls of `fn` with at most `concurrency` in flight; returns calls per second. */
export async function concurrentPerSecond(total, concurrency, fn) {
  let next = 0;
  const start = performance.now();
  async function worker() {
    while (next < total) await fn(next++);
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (total * 1000) / (performance.now() - start);
}

export function fmtOps(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

export function fmtRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
}

/** Prints a Markdown table. */
export function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  console.log(lines.join('\n'));
}

/** Saves a script's numbers as JSON where `bench/run.mjs` collects them (BENCH_JSON_DIR), if set. */
export function saveJSON(name, data) {
  const dir = process.env.BENCH_JSON_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(data, null, 2));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a private redis-server (no persistence) on a free port; `stop()` ends it. */
export async function startRedis() {
  const bin = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!existsSync(bin)) throw new Error(`bench: redis-server not found at ${bin} (set REDIS_SERVER)`);
  const port = await freePort();
  const dir = join(tmpdir(), `latchkey-bench-redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const socket = createConnection(port);
      socket.once('connect', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    await sleep(50);
  }
  return {
    port,
    url,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}


/** Machine and version facts for the report header. */
export function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':')[1].trim();
  } catch {}
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {}
  return { nproc, cpu, node: process.version, date: new Date().toISOString() };
}

/** Installed version of a package in node_modules (or 'missing'). */
export function versionOf(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'missing';
  }
}
