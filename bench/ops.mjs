// Sign-in, refresh rotation and cookie authentication, ops/s, on memoryStore and on redisStore
// (a private redis-server on a free port, started and stopped here). EdDSA access tokens.
// "sequential" awaits each call (latency bound); "32 in flight" keeps 32 calls outstanding.
// Redis round trips per operation are counted by bench/redis-roundtrips.mjs (see bench/run.mjs).
// Usage: node bench/ops.mjs   (env BENCH_OPS_N=2000, BENCH_ROUNDS=3)
import { concurrentPerSecond, fmtOps, median, requireBuild, saveJSON, startRedis, table } from './lib.mjs';

requireBuild('redis');
const { createAuth, generateKey, memoryStore } = await import('../dist/index.js');
const { redisStore } = await import('../dist/redis.js');
const { default: Redis } = await import('ioredis');

const N = Number(process.env.BENCH_OPS_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 32;
const meta = { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', ip: '203.0.113.7' };

async function suite(store) {
  const auth = createAuth({ keys: [await generateKey('EdDSA')], issuer: 'https://api.example.com', audience: 'web', store });
  await auth.ready();
  const signIn = (i) => auth.signIn({ userId: `user-${i % 5000}`, data: { role: 'user', plan: 'pro' }, meta });
  for (let i = 0; i < 200; i++) await signIn(i); // warm up

  const out = {};
  let t0 = performance.now();
  for (let i = 0; i < N; i++) await signIn(i);
  out['signIn, sequential'] = (N * 1000) / (performance.now() - t0);
  out['signIn, 32 in flight'] = await concurrentPerSecond(N, CONCURRENCY, signIn);

  // Refresh: each chain rotates its own session's token, as a client would.
  const chains = [];
  for (let c = 0; c < CONCURRENCY; c++) chains.push((await signIn(c)).refreshToken);
  t0 = performance.now();
  for (let i = 0; i < N; i++) chains[0] = (await auth.refresh({ refreshToken: chains[0] })).refreshToken;
  out['refresh, sequential'] = (N * 1000) / (performance.now() - t0);
  const perChain = Math.ceil(N / CONCURRENCY);
  t0 = performance.now();
  await Promise.all(
    chains.map(async (_, c) => {
      for (let i = 0; i < perChain; i++) chains[c] = (await auth.refresh({ refreshToken: chains[c] })).refreshToken;
    }),
  );
  out['refresh, 32 in flight'] = (perChain * CONCURRENCY * 1000) / (performance.now() - t0);

  // Cookie authentication inside touchEvery: one store read, no write.
  const { sessionToken } = await signIn(1);
  const request = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${sessionToken}` } };
  t0 = performance.now();
  for (let i = 0; i < N; i++) await auth.authenticate(request);
  out['authenticate (cookie), sequential'] = (N * 1000) / (performance.now() - t0);
  out['authenticate (cookie), 32 in flight'] = await concurrentPerSecond(N, CONCURRENCY, () => auth.authenticate(request));
  await auth.close();
  return out;
}

const redis = await startRedis();
const samples = { memory: {}, redis: {} };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of [
      ['memory', () => ({ store: memoryStore({ maxEntries: 1_000_000 }), done: async () => {} })],
      [
        'redis',
        () => {
          const client = new Redis(redis.url, { enableAutoPipelining: true }); // as docs/redis.md recommends
          return { store: redisStore({ client }), done: () => client.quit() };
        },
      ],
    ]) {
      const { store, done } = make();
      const out = await suite(store);
      await done();
      for (const [op, v] of Object.entries(out)) (samples[name][op] ??= []).push(v);
    }
  }
} finally {
  await redis.stop();
}

const results = {};
for (const [store, ops] of Object.entries(samples)) results[store] = Object.fromEntries(Object.entries(ops).map(([op, v]) => [op, median(v)]));
console.log(`\n### Sign-in, refresh and cookie authentication, ops/s (EdDSA; median of ${ROUNDS} rounds; Redis on localhost)\n`);
table(
  ['operation', 'memoryStore', 'redisStore'],
  Object.keys(results.memory).map((op) => [op, fmtOps(results.memory[op]), fmtOps(results.redis[op])]),
);
saveJSON('ops', results);
