// In-process A/B of the per-request path between two builds: `auth.authenticate()` by session cookie
// (memoryStore, and redisStore on a private redis-server) and by bearer token, each build in the same
// process, measured in interleaved slices so that a neighbour stealing the CPU hits both sides alike.
// Prints, per path, the median µs/op of each build and the median of the per-slice ratios (B / A speed-up).
// Usage: node bench/ab.mjs <distA> [distB]   (distB defaults to ./dist; env BENCH_AB_SLICES=20,
//        BENCH_AB_MS=150, BENCH_AB_PATHS=cookie-memory,cookie-redis,cookie-redis-64,bearer; "-64": 64 calls
//        in flight, so the client's CPU per call shows rather than the round-trip time)
// Example: cp -r dist /tmp/base-dist; (change code; npx tsup); node bench/ab.mjs /tmp/base-dist
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, opsPerSecond, ROOT, startRedis, table } from './lib.mjs';

const [distA, distB = resolve(ROOT, 'dist')] = process.argv.slice(2);
if (!distA) {
  console.error('usage: node bench/ab.mjs <distA> [distB]');
  process.exit(1);
}
const SLICES = Number(process.env.BENCH_AB_SLICES ?? 20);
const MS = Number(process.env.BENCH_AB_MS ?? 150);
const PATHS = (process.env.BENCH_AB_PATHS ?? 'cookie-memory,cookie-redis,bearer').split(',');
const meta = { userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', ip: '203.0.113.7' };
const { default: Redis } = await import('ioredis');

const redis = PATHS.some((p) => p.startsWith('cookie-redis')) ? await startRedis() : null;
const clients = [];
const auths = [];

/** One side: the build's Auth objects and a request per path. */
async function side(dist) {
  const url = (name) => pathToFileURL(resolve(dist, name)).href;
  const { createAuth, generateKey } = await import(url('index.js'));
  const key = await generateKey('EdDSA');
  const options = { keys: [key], issuer: 'https://api.example.com', audience: 'web' };
  const calls = {};
  for (const path of PATHS) {
    let store;
    if (path.startsWith('cookie-redis')) {
      const { redisStore } = await import(url('redis.js'));
      const client = new Redis(redis.url, { enableAutoPipelining: true });
      clients.push(client);
      store = redisStore({ client });
    }
    const auth = createAuth({ ...options, ...(store ? { store } : {}) });
    await auth.ready();
    auths.push(auth);
    const signedIn = await auth.signIn({ userId: 'user-1', data: { role: 'admin' }, meta });
    const headers = path === 'bearer' ? { authorization: `Bearer ${signedIn.accessToken}` } : { cookie: `${auth.cookies.session}=${signedIn.sessionToken}` };
    // 1024 requests whose header strings are distinct copies, as each HTTP request brings fresh strings
    // (V8 caches a string's hash on the string: one reused string would make every Map lookup free)
    const fresh = (value) => Buffer.from(value).toString();
    const requests = Array.from({ length: 1024 }, () => ({
      method: 'GET',
      headers: Object.fromEntries(Object.entries({ accept: 'application/json', 'user-agent': meta.userAgent, ...headers }).map(([k, v]) => [k, fresh(v)])),
    }));
    let next = 0;
    const request = requests[0];
    const check = await auth.authenticate(request);
    if (check?.userId !== 'user-1') throw new Error(`${dist}: ${path} did not authenticate`);
    const batch = path.endsWith('-64') ? Array.from({ length: 64 }) : null;
    calls[path] = batch ? () => Promise.all(batch.map(() => auth.authenticate(requests[next++ & 1023]))) : () => auth.authenticate(requests[next++ & 1023]);
  }
  return calls;
}

try {
  const a = await side(distA);
  const b = await side(distB);
  const rows = [];
  for (const path of PATHS) {
    const opsA = [];
    const opsB = [];
    const ratios = [];
    await opsPerSecond(a[path], MS);
    await opsPerSecond(b[path], MS);
    for (let i = 0; i < SLICES; i++) {
      // alternate which side goes first, so a trend in the machine's load favours neither
      const first = i % 2 === 0;
      const x = first ? await opsPerSecond(a[path], MS) : 0;
      const y = await opsPerSecond(b[path], MS);
      const z = first ? x : await opsPerSecond(a[path], MS);
      opsA.push(z);
      opsB.push(y);
      ratios.push(y / z);
    }
    const sorted = [...ratios].sort((p, q) => p - q);
    const q1 = sorted[Math.floor(sorted.length / 4)];
    const q3 = sorted[Math.floor((sorted.length * 3) / 4)];
    const per = path.endsWith('-64') ? 64 : 1;
    rows.push([path, (1e6 / per / median(opsA)).toFixed(2), (1e6 / per / median(opsB)).toFixed(2), `${median(ratios).toFixed(2)}x`, `${q1.toFixed(2)}–${q3.toFixed(2)}x`]);
  }
  console.log(`\nA = ${distA}\nB = ${distB}\n${SLICES} interleaved slices of ${MS} ms; ratio = B speed / A speed per slice\n`);
  table(['path', 'A µs/op', 'B µs/op', 'B/A (median)', 'B/A (quartiles)'], rows);
} finally {
  for (const auth of auths) await auth.close();
  for (const client of clients) client.disconnect();
  await redis?.stop();
}
