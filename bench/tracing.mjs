// The cost of the tracing channels (issue 29) on the per-request paths: authenticate by session cookie
// (memory store: answered without a promise) and by a cached bearer token, through `resolve` as the adapter
// kit calls it (the settled value read at once, no microtask) and through `authenticate` (a promise).
// Two comparisons in one run, each in interleaved slices (every variant once per slice):
//   phase 1: before (a build without the channels: BENCH_BEFORE=<dir with its dist/>, e.g. the base commit)
//            against this build with nobody listening, before anything ever subscribed (must be within noise);
//   phase 2: this build with nobody listening against this build with a no-op subscriber on every latchkey
//            channel (all five events published, the cost of being observed).
// Ratios are medians of the per-slice ratios. Run twice with BENCH_BEFORE pointing at a copy of this dist/
// (an A/A run) to see the machine's noise.
// Usage: npx tsup && BENCH_BEFORE=/tmp/latchkey-before node bench/tracing.mjs   (env BENCH_SLICES=20, BENCH_MS=150)
import { tracingChannel } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmtOps, fmtRatio, median, opsPerSecond, requireBuild, ROOT, saveJSON, table } from './lib.mjs';

requireBuild('adapter');
const SLICES = Number(process.env.BENCH_SLICES ?? 20);
const MS = Number(process.env.BENCH_MS ?? 150);
const BEFORE = process.env.BENCH_BEFORE;

async function load(dir) {
  const url = (file) => pathToFileURL(join(dir, 'dist', file)).href;
  return { ...(await import(url('index.js'))), settledValue: (await import(url('adapter.js'))).settledValue };
}

/** The four workloads on one build: cookie and bearer, through resolve (settled read) and authenticate. */
async function workloads(lib) {
  const auth = lib.createAuth({ keys: [await lib.generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web' });
  await auth.ready();
  const user = await auth.signIn({ userId: '42', data: { role: 'user' } });
  const cookie = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${user.sessionToken}` } };
  const bearer = { method: 'GET', headers: { authorization: `Bearer ${user.accessToken}` } };
  await auth.authenticate(bearer); // the token is verified once, then cached
  const viaKit = (request) => () => {
    const pending = auth.resolve(request);
    return lib.settledValue(pending) === undefined ? pending : undefined; // as the adapter kit: no await when settled
  };
  return {
    'cookie, resolve (kit)': viaKit(cookie),
    'bearer, resolve (kit)': viaKit(bearer),
    'cookie, authenticate': () => auth.authenticate(cookie),
    'bearer, authenticate': () => auth.authenticate(bearer),
  };
}

const after = await workloads(await load(ROOT));
const before = BEFORE ? await workloads(await load(BEFORE)) : null;
const noop = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
const channels = ['authenticate', 'sign-in', 'refresh', 'sign-out', 'store'].map((name) => tracingChannel(`latchkey:${name}`));
const subscribe = () => channels.forEach((c) => c.subscribe(noop));
const unsubscribe = () => channels.forEach((c) => c.unsubscribe(noop));

const plain = (w) => after[w];
/**
 * Interleaved slices (as bench/ab.mjs): each slice runs every variant once, in an order that rotates, so a
 * neighbour stealing the CPU hits all of them alike. Returns per workload the median ops/s of each variant
 * and the median of the per-slice ratios `b / a`.
 */
async function compare(a, b) {
  const variants = [a, b];
  for (const workload of Object.keys(after)) for (const [, fn, setUp] of variants) {
    setUp();
    await opsPerSecond(fn(workload), 100); // warm up
    unsubscribe();
  }
  const result = {};
  for (let slice = 0; slice < SLICES; slice++) {
    for (const workload of Object.keys(after)) {
      const ops = {};
      for (const [name, fn, setUp] of slice % 2 ? [b, a] : [a, b]) {
        setUp();
        ops[name] = await opsPerSecond(fn(workload), MS);
        unsubscribe();
      }
      const r = (result[workload] ??= { [a[0]]: [], [b[0]]: [], ratio: [] });
      r[a[0]].push(ops[a[0]]);
      r[b[0]].push(ops[b[0]]);
      r.ratio.push(ops[b[0]] / ops[a[0]]);
    }
  }
  for (const r of Object.values(result)) for (const key of Object.keys(r)) r[key] = median(r[key]);
  return result;
}

// Phase 1, before any subscriber ever: the build without channels against this one (what an app that never
// subscribes runs). Phase 2: this build without and with a subscriber (subscribing changes the channels'
// shape and the paths V8 has seen, so it comes second).
const quiet = before ? await compare(['before', (w) => before[w], () => {}], ['after, no subscriber', plain, () => {}]) : null;
const traced = await compare(['after, no subscriber', plain, () => {}], ['after, subscriber', plain, subscribe]);

const rows = [];
const out = {};
for (const workload of Object.keys(after)) {
  const q = quiet?.[workload];
  const t = traced[workload];
  out[workload] = { ...(q && { before: q.before, 'after, no subscriber (phase 1)': q['after, no subscriber'], 'no subscriber / before': q.ratio }), 'after, no subscriber': t['after, no subscriber'], 'after, subscriber': t['after, subscriber'], 'subscriber / no subscriber': t.ratio };
  rows.push([workload, ...(q ? [fmtOps(q.before), fmtOps(q['after, no subscriber']), fmtRatio(q.ratio)] : []), fmtOps(t['after, no subscriber']), fmtOps(t['after, subscriber']), fmtRatio(t.ratio)]);
}
console.log(`tracing channels: ops/s, medians of ${SLICES} interleaved slices of ${MS} ms; ratios are medians of per-slice ratios (memory store, EdDSA)`);
table(['workload', ...(quiet ? ['before', 'after, no subscriber', 'no subscriber / before'] : []), 'after, no subscriber', 'after, subscriber', 'subscriber / no subscriber'], rows);
saveJSON('tracing', out);
