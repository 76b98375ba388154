// latchkey/postgres measured, all in one run on one machine and one throwaway PostgreSQL 15:
//  1. HTTP: cookie-authenticated GET /me on Express, latchkey on postgresStore vs express-session +
//     connect-pg-simple on the same database (server on core 0, autocannon and PostgreSQL on core 1).
//  2. Statements (= round trips) per latchkey operation, counted on the pool's clients; connect-pg-simple's too.
//  3. Table + index size per session (100k rows, extrapolated to 1M), the text record against a jsonb one,
//     and the cost of reading a row by id from each.
//  4. 100k expired rows pruned by prune() while authentication runs: the longest batch, and auth p50/p99
//     before and during.
// Usage: npx tsup && node bench/postgres.mjs   (env BENCH_HTTP_SECONDS=5, BENCH_PG_ROWS=100000, BENCH_PG_ONLY=http,rt,size,prune)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { fmtOps, freePort, median, requireBuild, ROOT, saveJSON, table } from './lib.mjs';
import { startPostgres } from './postgres-lib.mjs';
import { run } from './http-lib.mjs';

requireBuild('postgres', 'express');
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const ROWS = Number(process.env.BENCH_PG_ROWS ?? 100_000);
const ONLY = process.env.BENCH_PG_ONLY?.split(',') ?? ['http', 'store', 'rt', 'size', 'prune'];
const { createAuth, generateKey } = await import('latchkey');
const { postgresStore } = await import('latchkey/postgres');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_PIN=0 leaves placement to the OS scheduler (better when other work shares the machine).
let pin = (core) => ['taskset', '-c', String(core)];
try {
  if (process.env.BENCH_PIN === '0') throw new Error('not pinned');
  execFileSync('taskset', ['-c', '0', 'true']);
} catch {
  pin = () => [];
}

const server = await startPostgres();
try {
  if (process.env.BENCH_PIN !== '0') execFileSync('sh', ['-c', `for p in $(pgrep -P ${server.pid}) ${server.pid}; do taskset -pc 1 $p; done`], { stdio: 'ignore' });
} catch {}
const results = {};
const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** CPU time (µs) PostgreSQL has used: the postmaster, its reaped children, and every live backend. */
function postgresCPU() {
  const tick = 1e6 / 100; // USER_HZ
  const stat = (pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const own = stat(server.pid);
  let total = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) * tick;
  const children = execFileSync('pgrep', ['-P', String(server.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  for (const pid of children) {
    try {
      const f = stat(pid);
      total += (Number(f[11]) + Number(f[12])) * tick;
    } catch {}
  }
  return total;
}

async function http(variant) {
  const port = await freePort();
  let ready;
  const started = new Promise((r) => (ready = r));
  const srv = run([...pin(0), process.execPath, 'bench/postgres-server.mjs', variant, String(port), server.url], { onLine: (out) => out.includes('ready') && ready() });
  await Promise.race([started, srv.done.then((r) => Promise.reject(new Error(`${variant} exited: ${r.err.slice(0, 400)}`)))]);
  try {
    // connect-pg-simple creates its table in the background on first use: a first sign-in may race it.
    let headers;
    for (let attempt = 0; ; attempt++) {
      const login = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST' });
      const cookie = login.headers.getSetCookie().filter((l) => !/;\s*path=(?!\/(;|$))/i.test(l)).map((l) => l.split(';')[0]).join('; ');
      headers = { cookie, accept: 'application/json' };
      const check = await fetch(`http://127.0.0.1:${port}/me`, { headers });
      if (check.status === 200) break;
      if (attempt === 3) throw new Error(`${variant}: GET /me answered ${check.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (let i = 0; i < 300; i++) await fetch(`http://127.0.0.1:${port}/me`, { headers }); // warm-up (JIT, pool, plans)
    const cpuBefore = { node: (await (await fetch(`http://127.0.0.1:${port}/cpu`)).json()).cpu, pg: postgresCPU() };
    const load = run([...pin(1), process.execPath, 'bench/http-load.mjs', JSON.stringify({ url: `http://127.0.0.1:${port}/me`, headers, connections: 50, pipelining: 1, warmup: 0, duration: SECONDS })]);
    const { out, err, code } = await load.done;
    if (code !== 0) throw new Error(err);
    const r = JSON.parse(out.trim().split('\n').pop());
    if (r.non2xx || r.errors) throw new Error(`${variant}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    // CPU per request, the node server's and PostgreSQL's (every backend): what the machine spends on one
    // request, however many other processes share the cores. Requests counted include autocannon's last
    // in-flight ones, within 1%.
    const nodeCPU = (await (await fetch(`http://127.0.0.1:${port}/cpu`)).json()).cpu - cpuBefore.node;
    const pgCPU = postgresCPU() - cpuBefore.pg;
    return { ...r, nodeUs: nodeCPU / r.requests, pgUs: pgCPU / r.requests };
  } finally {
    srv.child.kill('SIGTERM');
    await srv.done;
  }
}

if (ONLY.includes('http')) {
  // Alternated, each latchkey run paired with the peer run right after it, so a neighbour stealing the CPU
  // for a while skews one pair, not the ratio; the ratio is the median of the paired ratios.
  const runs = { 'latchkey-pg': [], 'express-session-pg': [] };
  const ratios = [];
  // A warm-up pair first, not counted: in every early run the first server measured on a fresh cluster came
  // out slow (catalog caches, first checkpoint), whichever it was.
  for (const v of Object.keys(runs)) await http(v);
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of Object.keys(runs)) runs[v].push(await http(v));
    ratios.push(runs['latchkey-pg'][round].rps / runs['express-session-pg'][round].rps);
    process.stderr.write(`  round ${round + 1}: ${runs['latchkey-pg'][round].rps.toFixed(0)} vs ${runs['express-session-pg'][round].rps.toFixed(0)} req/s = ${ratios[round].toFixed(2)}x\n`);
  }
  const med = (v, k) => median(runs[v].map((r) => r[k]));
  results.http = Object.fromEntries(Object.keys(runs).map((v) => [v, { rps: med(v, 'rps'), p99: med(v, 'p99'), nodeUs: med(v, 'nodeUs'), pgUs: med(v, 'pgUs') }]));
  results.http.ratios = ratios;
  results.http.ratio = median(ratios);
  const cpu = (v) => results.http[v].nodeUs + results.http[v].pgUs;
  results.http.cpuRatio = cpu('express-session-pg') / cpu('latchkey-pg');
  console.log(`\n### Express, cookie-authenticated GET /me, 50 connections, ${SECONDS} s x ${ROUNDS} paired runs (median)\n`);
  table(
    ['server', 'req/s', 'p99 ms', 'node CPU µs/request', 'PostgreSQL CPU µs/request', 'total CPU µs/request'],
    Object.keys(runs).map((v) => [v, Math.round(med(v, 'rps')).toLocaleString('en-US'), String(results.http[v].p99), results.http[v].nodeUs.toFixed(0), results.http[v].pgUs.toFixed(0), cpu(v).toFixed(0)]),
  );
  console.log(`\nreq/s, latchkey on postgresStore / express-session + connect-pg-simple: **${results.http.ratio.toFixed(2)}x** (pairs: ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  console.log(`CPU per request, express-session + connect-pg-simple / latchkey: **${results.http.cpuRatio.toFixed(2)}x** (requests per CPU-second)`);
}

if (ONLY.includes('store')) {
  // The same comparison without HTTP: what each side asks of PostgreSQL per cookie-authenticated request, in
  // one process, 20 in flight. latchkey: auth.authenticate (one read). express-session with connect-pg-simple:
  // get, then the touch express-session sends at the end of every request (a committed UPDATE).
  const pool = new pg.Pool({ ...server.config, max: 10 });
  const store = postgresStore({ pool, createTable: true, table: 'store_bench', listen: false });
  await store.ready();
  const auth = createAuth({ store });
  const signed = await auth.signIn({ userId: 'u1' });
  const req = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${signed.sessionToken}` } };
  const { default: session } = await import('express-session');
  const peer = new ((await import('connect-pg-simple')).default(session))({ pool, createTableIfMissing: true });
  const call = (m, ...a) => new Promise((res, rej) => peer[m](...a, (e, v) => (e ? rej(e) : res(v))));
  await call('set', 'sid-1', { cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000) }, userId: 'u1' });
  const rate = async (fn) => {
    const t0 = performance.now();
    let n = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (performance.now() - t0 < 3000) {
        await fn();
        n++;
      }
    }));
    return n / 3;
  };
  const pairs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ours = await rate(() => auth.authenticate(req));
    const theirs = await rate(async () => call('touch', 'sid-1', await call('get', 'sid-1')));
    pairs.push({ ours, theirs, ratio: ours / theirs });
  }
  peer.close();
  await pool.end();
  results.store = { pairs, ratio: median(pairs.map((p) => p.ratio)) };
  console.log(`\n### Cookie authentication without HTTP (one process, 20 in flight, 3 s x ${ROUNDS} paired runs)\n`);
  table(['round', 'latchkey auth.authenticate /s', 'connect-pg-simple get + touch /s', 'ratio'], pairs.map((p, i) => [String(i + 1), fmtOps(p.ours), fmtOps(p.theirs), `${p.ratio.toFixed(2)}x`]));
}

/** A pool whose clients count the statements they run (each one round trip; `BEGIN; SELECT …` is one simple query). */
function countingPool(config = {}) {
  const pool = new pg.Pool({ ...server.config, max: 4, ...config });
  const log = [];
  pool.on('connect', (client) => {
    const query = client.query.bind(client);
    client.query = (...args) => {
      const text = typeof args[0] === 'string' ? args[0] : args[0]?.text ?? '';
      log.push(text.replace(/\s+/g, ' ').trim().slice(0, 40));
      return query(...args);
    };
  });
  return { pool, log };
}

if (ONLY.includes('rt')) {
  const { pool, log } = countingPool();
  let offset = 0;
  const now = () => Date.now() + offset;
  const key = await generateKey('EdDSA');
  const store = postgresStore({ pool, createTable: true, table: 'rt', listen: false });
  await store.ready();
  const auth = createAuth({ keys: [key], issuer: 'https://api.example.com', audience: 'web', store, now, accessToken: { checkSession: true } });
  const cookie = (t) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${t}` } });
  const rows = [];
  async function count(name, fn) {
    log.length = 0;
    await fn();
    rows.push([name, String(log.length), log.join(' / ')]);
  }
  const s = await auth.signIn({ userId: 'rt' });
  await count('signIn (session.maxPerUser 100, the default cap)', () => auth.signIn({ userId: 'rt' }));
  await count('store.create without a cap (session.maxPerUser: false)', () => store.create(recordOf(1, Date.now(), false)));
  await count('authenticate (cookie)', () => auth.authenticate(cookie(s.sessionToken)));
  offset += 61_000;
  await count('authenticate (cookie), touch due', () => auth.authenticate(cookie(s.sessionToken)));
  await count('authenticate (bearer, checkSession)', () => auth.verifyAccessToken(s.accessToken));
  const r = await auth.refresh({ refreshToken: s.refreshToken });
  await count('refresh', () => auth.refresh({ refreshToken: r.refreshToken }));
  await count('sessions.update (CAS)', () => auth.sessions.update(s.session.id, { data: { x: 1 } }));
  await count('elevate', async () => {
    const e = await auth.elevate(s.session.id);
    s.session.id = e.session.id;
  });
  await count('signOut', () => auth.signOut(s.session.id));
  await count('signOutEverywhere', () => auth.signOutEverywhere('rt'));
  // a connection whose default isolation is repeatable read (as ALTER DATABASE … SET would make it): the first
  // capped create learns it (one statement that does nothing, then the transaction), later ones go straight there
  {
    const rr = countingPool({ options: '-c default_transaction_isolation=repeatable\\ read' });
    const rrStore = postgresStore({ pool: rr.pool, table: 'rt', listen: false });
    const rrAuth = createAuth({ keys: [key], issuer: 'https://api.example.com', audience: 'web', store: rrStore, now });
    await rrAuth.signIn({ userId: 'rt-rr' });
    const before = log.length;
    rr.log.length = 0;
    await rrAuth.signIn({ userId: 'rt-rr' });
    rows.push(['signIn (maxPerUser 100), default isolation repeatable read', String(rr.log.length), rr.log.join(' / ')]);
    log.length = before;
    await rr.pool.end();
  }
  // connect-pg-simple on the same counting pool, for comparison
  const { default: session } = await import('express-session');
  const PGStore = (await import('connect-pg-simple')).default(session);
  const peer = new PGStore({ pool, createTableIfMissing: true });
  const call = (m, ...a) => new Promise((res, rej) => peer[m](...a, (e, v) => (e ? rej(e) : res(v))));
  const sess = { cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000) }, userId: 'u' };
  await call('set', 'warm', sess);
  await count('connect-pg-simple set', () => call('set', 'sid-1', sess));
  await count('connect-pg-simple get', () => call('get', 'sid-1'));
  await count('connect-pg-simple touch (every request by default)', () => call('touch', 'sid-1', sess));
  peer.close();
  console.log('\n### Statements (round trips) per operation\n');
  table(['operation', 'round trips', 'statements'], rows);
  results.roundTrips = Object.fromEntries(rows.map(([n, c]) => [n, Number(c)]));
  await pool.end();
}

function recordOf(i, t, expired) {
  const exp = expired ? t - 1000 : t + 30 * 60_000;
  return {
    id: randomBytes(16).toString('base64url'),
    userId: `user-${i % (ROWS / 2)}`,
    version: 1,
    secretHash: randomBytes(32).toString('base64url'),
    refresh: { generation: 0, rotatedAt: t, expiresAt: t + 30 * 86_400_000 },
    data: { role: 'user' },
    createdAt: t,
    authTime: t,
    lastSeenAt: t,
    idleExpiresAt: exp,
    absoluteExpiresAt: t + 30 * 86_400_000,
    expiresAt: exp,
    meta: { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', ip: '203.0.113.9' },
  };
}

/** Bulk-loads `n` records into a table of the store's schema (unnest: 1000 rows per statement). */
async function load(pool, table, n, expired, docType = 'text') {
  const t = Date.now();
  for (let start = 0; start < n; start += 1000) {
    const recs = Array.from({ length: Math.min(1000, n - start) }, (_, j) => recordOf(start + j, t, expired));
    const col = (f) => recs.map(f);
    await pool.query(
      `INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::int[], $10::bigint[], $11::bigint[], $12::${docType}[])`,
      [col((r) => r.id), col((r) => r.userId), col((r) => r.version), col((r) => r.createdAt), col((r) => r.lastSeenAt), col((r) => r.idleExpiresAt), col((r) => r.absoluteExpiresAt), col((r) => r.expiresAt), col((r) => r.refresh.generation), col((r) => r.refresh.rotatedAt), col((r) => r.refresh.expiresAt), col((r) => JSON.stringify(r))],
    );
  }
}

if (ONLY.includes('size')) {
  const pool = new pg.Pool({ ...server.config, max: 8 });
  const { postgresSchema } = await import('latchkey/postgres');
  await pool.query(postgresSchema({ table: 'size_text' }));
  await pool.query(postgresSchema({ table: 'size_jsonb' }).replace('doc                 text', 'doc                 jsonb'));
  await load(pool, 'size_text', ROWS, false);
  await load(pool, 'size_jsonb', ROWS, false, 'jsonb');
  await pool.query('VACUUM ANALYZE size_text');
  await pool.query('VACUUM ANALYZE size_jsonb');
  const rows = [];
  // Reads by id, the two tables interleaved (so neither is measured colder), 5000 each.
  const times = { size_text: [], size_jsonb: [] };
  const ids = Object.fromEntries(await Promise.all(Object.keys(times).map(async (tbl) => [tbl, (await pool.query(`SELECT id FROM ${tbl} ORDER BY random() LIMIT 5000`)).rows.map((r) => r.id)])));
  for (let i = 0; i < 5000; i++) {
    for (const tbl of i % 2 ? ['size_jsonb', 'size_text'] : ['size_text', 'size_jsonb']) {
      const t0 = performance.now();
      await pool.query({ name: `get_${tbl}`, text: `SELECT doc::text, user_id, version, last_seen_at, idle_expires_at, expires_at, refresh_generation, refresh_rotated_at, refresh_expires_at FROM ${tbl} WHERE id = $1 AND expires_at > $2`, values: [ids[tbl][i], Date.now()] });
      times[tbl].push(performance.now() - t0);
    }
  }
  for (const tbl of ['size_text', 'size_jsonb']) {
    const { rows: [s] } = await pool.query(`SELECT pg_table_size($1) AS heap, pg_indexes_size($1) AS idx, pg_total_relation_size($1) AS total`, [tbl]);
    const per = Number(s.total) / ROWS;
    rows.push([tbl.replace('size_', 'doc '), String(Math.round(Number(s.heap) / ROWS)), String(Math.round(Number(s.idx) / ROWS)), String(Math.round(per)), `${((per * 1e6) / 2 ** 20).toFixed(0)} MiB`, `${(median(times[tbl]) * 1000).toFixed(0)} µs`]);
    results[tbl] = { heapPerRow: Number(s.heap) / ROWS, indexPerRow: Number(s.idx) / ROWS, totalPer1M: per * 1e6, getMedianMs: median(times[tbl]) };
  }
  console.log(`\n### Table size, ${ROWS.toLocaleString('en-US')} sessions (extrapolated linearly to 1M), and a read by id\n`);
  table(['record column', 'heap B/session', 'indexes B/session', 'total B/session', 'per 1M sessions', 'get by id (median)'], rows);
  await pool.end();
}

if (ONLY.includes('prune')) {
  const pool = new pg.Pool({ ...server.config, max: 12 });
  const store = postgresStore({ pool, createTable: true, table: 'prune_bench', listen: false, pruneBatch: 0 });
  await store.ready();
  await load(pool, 'prune_bench', ROWS, true);
  let offset = 0;
  const auth = createAuth({ store, now: () => Date.now() + offset, session: { touchEvery: '1s' }, cookies: { secure: false } });
  const signed = [];
  for (let i = 0; i < 200; i++) signed.push(await auth.signIn({ userId: `live-${i}` }));
  async function authLoad(ms) {
    const lat = [];
    const until = performance.now() + ms;
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; performance.now() < until; i += 8) {
        const t0 = performance.now();
        await auth.authenticate({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${signed[i % signed.length].sessionToken}` } });
        lat.push(performance.now() - t0);
        if (i % 50 === 0) offset += 1000; // touches come due
      }
    }));
    return lat;
  }
  const before = await authLoad(3000);
  const batches = [];
  const pruning = (async () => {
    let total = 0;
    for (;;) {
      const t0 = performance.now();
      const n = await store.prune({ batch: 1000, maxDuration: 0 });
      batches.push(performance.now() - t0);
      total += n;
      if (n < 1000) return total;
    }
  })();
  const t0 = performance.now();
  const during = [];
  let done = false;
  pruning.finally(() => (done = true));
  while (!done) during.push(...(await authLoad(500)));
  const pruned = await pruning;
  const pruneMs = performance.now() - t0;
  results.prune = { rows: pruned, ms: pruneMs, longestBatchMs: Math.max(...batches), before: { p50: pct(before, 50), p99: pct(before, 99) }, during: { p50: pct(during, 50), p99: pct(during, 99) } };
  console.log(`\n### prune(): ${pruned.toLocaleString('en-US')} expired rows in ${(pruneMs / 1000).toFixed(1)} s, batches of 1000, longest batch ${Math.max(...batches).toFixed(0)} ms; cookie authenticate (8 concurrent, touches due)\n`);
  table(['', 'auth p50 ms', 'auth p99 ms', 'auth calls'], [
    ['before pruning', before.length ? pct(before, 50).toFixed(2) : '-', pct(before, 99).toFixed(2), String(before.length)],
    ['while pruning', pct(during, 50).toFixed(2), pct(during, 99).toFixed(2), String(during.length)],
  ]);
  await pool.end();
}

server.stop();
saveJSON('postgres', results);
