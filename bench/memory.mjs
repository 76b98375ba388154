// memoryStore footprint: RSS at 100k and 1M live sessions, then RSS after 10 expiry cycles (fill,
// move the injected clock past expiry, let the sweeper run) to show it stays flat.
// Records are real ones: one is made by createAuth + signIn (EdDSA keys, so it carries refresh state
// and device meta), then copied with fresh ids and secret hashes (and seeds, if any); one session per user
// (the worst case for the per-user index).
// Usage: node --expose-gc bench/memory.mjs   (env BENCH_MEMORY_MAX=1000000, BENCH_MEMORY_CYCLES=10,
//                                             BENCH_MEMORY_CYCLE_N=250000; set it to 1000000 for full-size cycles)
import { randomBytes } from 'node:crypto';
import { requireBuild, saveJSON, table } from './lib.mjs';

requireBuild();
if (typeof globalThis.gc !== 'function') {
  console.error('bench: run memory.mjs with --expose-gc (bench/run.mjs does).');
  process.exit(1);
}
const { createAuth, generateKey, memoryStore } = await import('../dist/index.js');

const MAX = Number(process.env.BENCH_MEMORY_MAX ?? 1_000_000);
const CYCLES = Number(process.env.BENCH_MEMORY_CYCLES ?? 10);
const CYCLE_N = Number(process.env.BENCH_MEMORY_CYCLE_N ?? Math.min(MAX, 250_000));
const SWEEP_MS = 100; // memoryStore takes a Duration: '100ms'

let clock = Date.now();
const now = () => clock;
const store = memoryStore({ maxEntries: MAX * 2, now, sweepInterval: `${SWEEP_MS}ms` });
const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web', store, now });
const signedIn = await auth.signIn({
  userId: 'user-0',
  data: { role: 'user', plan: 'pro' },
  meta: { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', ip: '203.0.113.7' },
});
const template = await store.get(signedIn.session.id);
await store.delete(template.id);
const recordBytes = JSON.stringify(template).length;

const b64 = (bytes) => randomBytes(bytes).toString('base64url');
async function fill(from, count) {
  for (let i = from; i < from + count; i++) {
    await store.create({
      ...template,
      id: b64(16),
      userId: `user-${i}`,
      secretHash: b64(32),
      refresh: template.refresh && { ...template.refresh, ...('seed' in template.refresh ? { seed: b64(32) } : {}) },
      createdAt: clock,
      authTime: clock,
      lastSeenAt: clock,
    });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function usage() {
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heapUsed, heapTotal };
}
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

const base = usage();
const rows = [['baseline (auth + empty store)', '0', mb(base.rss), mb(base.heapTotal), mb(base.heapUsed), '']];
const live = {};
let filled = 0;
for (const target of [100_000, MAX].filter((n, i, a) => n <= MAX && a.indexOf(n) === i)) {
  const start = performance.now();
  await fill(filled, target - filled);
  filled = target;
  const u = usage();
  live[target] = u.rss;
  rows.push([`${target.toLocaleString('en-US')} live sessions`, store.size.toLocaleString('en-US'), mb(u.rss), mb(u.heapTotal), mb(u.heapUsed), `${Math.round((u.heapUsed - base.heapUsed) / target)} B (filled in ${((performance.now() - start) / 1000).toFixed(1)} s)`]);
}

/** Moves the clock past every record's expiry and waits for the sweeper to empty the store. */
async function expireAll() {
  clock += template.absoluteExpiresAt - template.createdAt + 1;
  for (let waited = 0; store.size > 0 && waited < 60_000; waited += SWEEP_MS) await sleep(SWEEP_MS);
  if (store.size > 0) throw new Error(`the sweeper left ${store.size} records`);
}

const cycles = [];
await expireAll();
for (let c = 1; c <= CYCLES; c++) {
  await fill(filled, CYCLE_N);
  filled += CYCLE_N;
  const full = usage();
  await expireAll();
  const empty = usage();
  cycles.push({ cycle: c, fullRss: full.rss, emptyRss: empty.rss, emptyHeap: empty.heapUsed });
}
await auth.close();

console.log(`\n### memoryStore footprint (record JSON ${recordBytes} bytes; RSS after forced GC)\n`);
table(['state', 'records', 'RSS', 'V8 heap total', 'heap used', 'heap used per session'], rows);
console.log(`\n**${CYCLES} expiry cycles of ${CYCLE_N.toLocaleString('en-US')} sessions each** (fill, clock past expiry, sweep)\n`);
table(
  ['cycle', 'RSS full', 'RSS after sweep', 'heap after sweep'],
  cycles.map((c) => [String(c.cycle), mb(c.fullRss), mb(c.emptyRss), mb(c.emptyHeap)]),
);
const fulls = cycles.map((c) => c.fullRss);
const growth = fulls.length > 1 ? fulls[fulls.length - 1] - fulls[0] : 0;
console.log(`\nRSS when full, cycle 1 -> ${CYCLES}: ${mb(fulls[0] ?? 0)} -> ${mb(fulls.at(-1) ?? 0)} (${growth >= 0 ? '+' : ''}${mb(growth)})`);
saveJSON('memory', { recordBytes, baseRss: base.rss, live, cycles, cycleSessions: CYCLE_N });
