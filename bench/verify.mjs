// Access-token verification, cold and warm, per algorithm: latchkey vs fast-jwt (plain and cached),
// jsonwebtoken, jose direct, and raw node:crypto on the signing input (the physical limit).
//   cold: N distinct tokens, each seen once by a fresh verifier (caches miss);
//   cold, 32 in flight: the same with 32 verifications outstanding, as a busy server has them (jose runs
//     WebCrypto, which verifies on libuv's threadpool; the synchronous verifiers cannot overlap);
//   warm: one token again and again (1024 distinct string copies, so no lookup is a pointer compare);
//   burst: each token new to the verifier and presented by 32 requests at once (a page's parallel API calls
//     right after sign-in or refresh), counted as checks per second; a verifier that checks the signature once
//     per burst rather than 32 times shows it here (EdDSA and ES256).
// Every ratio is against raw node:crypto measured in the same run, same process, same machine.
// Usage: node bench/verify.mjs   (env BENCH_ROUNDS=3, BENCH_COLD_N=2000, BENCH_WARM_MS=300)
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { concurrentPerSecond, eachPerSecond, fmtOps, fmtRatio, median, opsPerSecond, requireBuild, saveJSON, table } from './lib.mjs';
import { printResourceServerBench, resourceServerBench } from './verify-resource-server.mjs';

requireBuild();
const require = createRequire(import.meta.url);
const { createAuth, importKey } = await import('../dist/index.js');
const jose = await import('jose');
const { createVerifier } = require('fast-jwt');
const jsonwebtoken = require('jsonwebtoken');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COLD_N = Number(process.env.BENCH_COLD_N ?? 2000);
const WARM_MS = Number(process.env.BENCH_WARM_MS ?? 300);
const ISS = 'https://api.example.com';
const AUD = 'web';
const ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'];

function material(alg) {
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    return { input: new Uint8Array(secret), secret };
  }
  const pair = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' });
  const publicPem = pair.publicKey.export({ format: 'pem', type: 'spki' });
  return { input: privatePem, privatePem, publicPem, publicKey: createPublicKey(publicPem), privateKey: createPrivateKey(privatePem) };
}

/** Every verifier under test, built fresh per round so cached ones start cold. */
async function verifiers(alg, m, latchkeyKey) {
  const pub = alg === 'HS256' ? m.secret : m.publicPem;
  const joseKey = alg === 'HS256' ? m.secret : await jose.importSPKI(m.publicPem, alg);
  const auth = createAuth({ keys: [latchkeyKey], issuer: ISS, audience: AUD });
  await auth.ready();
  const fastOpts = { key: pub, algorithms: [alg], allowedIss: ISS, allowedAud: AUD };
  const fjPlain = createVerifier({ ...fastOpts, cache: false });
  const fjCached = createVerifier({ ...fastOpts, cache: true });
  const raw = rawVerifier(alg, m);
  return {
    'raw node:crypto': raw,
    latchkey: (t) => auth.verifyAccessToken(t),
    'jose direct': (t) => jose.jwtVerify(t, joseKey, { algorithms: [alg], issuer: ISS, audience: AUD, typ: 'at+jwt' }),
    'fast-jwt': (t) => fjPlain(t),
    'fast-jwt (cache)': (t) => fjCached(t),
    jsonwebtoken: (t) => jsonwebtoken.verify(t, pub, { algorithms: [alg], issuer: ISS, audience: AUD }),
  };
}

/** crypto.verify (or HMAC + timingSafeEqual) on a pre-split signing input: nothing but the signature check. */
function rawVerifier(alg, m) {
  const split = new Map();
  const parts = (t) => {
    let p = split.get(t);
    if (!p) {
      const dot = t.lastIndexOf('.');
      split.set(t, (p = [Buffer.from(t.slice(0, dot)), Buffer.from(t.slice(dot + 1), 'base64url')]));
    }
    return p;
  };
  let check;
  if (alg === 'HS256') check = ([data, sig]) => timingSafeEqual(createHmac('sha256', m.secret).update(data).digest(), sig);
  else if (alg === 'ES256') check = ([data, sig]) => cryptoVerify('sha256', data, { key: m.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  else check = ([data, sig]) => cryptoVerify(alg === 'EdDSA' ? null : 'sha256', data, m.publicKey, sig);
  const fn = (t) => {
    if (!check(parts(t))) throw new Error('raw verify failed');
  };
  fn.prepare = (tokens) => tokens.forEach(parts);
  return fn;
}

const copies = (s, n) => Array.from({ length: n }, () => Buffer.from(s).toString());

const results = {};
for (const alg of ALGS) {
  const m = material(alg);
  const key = await importKey(m.input, alg === 'HS256' ? { alg } : { alg });
  const signer = createAuth({ keys: [key], issuer: ISS, audience: AUD });
  const n = alg === 'RS256' ? Math.ceil(COLD_N / 2) : COLD_N;
  const tokens = [];
  for (let i = 0; i < n; i++) tokens.push((await signer.signIn({ userId: `user-${i}` })).accessToken);
  const warmCopies = copies(tokens[0], 1024);
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    const set = await verifiers(alg, m, key);
    set['raw node:crypto'].prepare(tokens); // the raw limit gets its parsing for free
    for (const [name, fn] of Object.entries(set)) {
      const s = (samples[name] ??= { cold: [], par: [], warm: [] });
      try {
        await fn(tokens[0]); // correctness check; its own token is then warm, so cold uses the rest
        s.cold.push(await eachPerSecond(tokens.slice(1), fn));
        s.warm.push(await opsPerSecond((i) => fn(warmCopies[i & 1023]), WARM_MS));
      } catch (error) {
        s.error = String(error?.code ?? error?.message ?? error);
      }
    }
    const fresh = await verifiers(alg, m, key); // caches start cold again
    fresh['raw node:crypto'].prepare(tokens);
    for (const [name, fn] of Object.entries(fresh)) {
      if (samples[name].error) continue;
      samples[name].par.push(await concurrentPerSecond(tokens.length, 32, async (i) => fn(tokens[i])));
    }
  }
  results[alg] = Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [name, s.error ? { error: s.error } : { cold: median(s.cold), par: median(s.par), warm: median(s.warm) }]),
  );
  await signer.close();
}

// Bursts: BURST_N tokens, each new to a fresh verifier and presented by 32 requests at once (distinct copies).
const BURST_N = Number(process.env.BENCH_BURST_N ?? 200);
const BURST_WIDTH = 32;
const bursts = {};
for (const alg of ['EdDSA', 'ES256']) {
  const m = material(alg);
  const key = await importKey(m.input, { alg });
  const signer = createAuth({ keys: [key], issuer: ISS, audience: AUD });
  const tokens = [];
  for (let i = 0; i < BURST_N; i++) tokens.push((await signer.signIn({ userId: `user-${i}` })).accessToken);
  const presented = tokens.map((t) => copies(t, BURST_WIDTH));
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    const set = await verifiers(alg, m, key);
    set['raw node:crypto'].prepare(presented.flat());
    for (const name of ['raw node:crypto', 'latchkey', 'jose direct', 'fast-jwt (cache)']) {
      const fn = set[name];
      const start = performance.now();
      for (const group of presented) await Promise.all(group.map(async (t) => fn(t)));
      (samples[name] ??= []).push((BURST_N * BURST_WIDTH * 1000) / (performance.now() - start));
    }
  }
  bursts[alg] = Object.fromEntries(Object.entries(samples).map(([name, v]) => [name, median(v)]));
  await signer.close();
}

console.log(`\n### Access-token verify, ops/s (median of ${ROUNDS} interleaved rounds; every ratio is to raw node:crypto, one at a time, same run)\n`);
for (const alg of ALGS) {
  const r = results[alg];
  const raw = r['raw node:crypto'];
  console.log(`\n**${alg}**\n`);
  table(
    ['verifier', 'cold ops/s', 'cold / raw', 'cold, 32 in flight', '/ raw', 'warm ops/s', 'warm / raw'],
    Object.entries(r).map(([name, v]) =>
      v.error
        ? [name, `n/a (${v.error})`, '', '', '', '', '']
        : [name, fmtOps(v.cold), fmtRatio(v.cold / raw.cold), fmtOps(v.par), fmtRatio(v.par / raw.cold), fmtOps(v.warm), fmtRatio(v.warm / raw.cold)],
    ),
  );
}

console.log(`\n### Bursts: each token new, presented by ${BURST_WIDTH} requests at once; checks/s (median of ${ROUNDS}; ratio to raw node:crypto, which verifies every copy)\n`);
table(
  ['verifier', ...Object.keys(bursts).flatMap((alg) => [`${alg} checks/s`, '/ raw'])],
  Object.keys(bursts.EdDSA).map((name) => [name, ...Object.values(bursts).flatMap((r) => [fmtOps(r[name]), fmtRatio(r[name] / r['raw node:crypto'])])]),
);

// The whole per-request path through auth.authenticate(), as an adapter calls it.
const key = await importKey(material('EdDSA').input, { alg: 'EdDSA' });
const auth = createAuth({ keys: [key], issuer: ISS, audience: AUD, cookies: { secure: true } });
const signedIn = await auth.signIn({ userId: 'user-1', data: { role: 'admin' }, meta: { userAgent: 'bench' } });
const headers = (extra) => ({ host: 'api.example.com', accept: 'application/json', 'user-agent': 'bench', ...extra });
const requests = {
  'bearer, warm cache (EdDSA)': copies(`Bearer ${signedIn.accessToken}`, 1024).map((v) => ({ method: 'GET', headers: headers({ authorization: v }) })),
  'session cookie, memoryStore': copies(`theme=dark; ${auth.cookies.session}=${signedIn.sessionToken}`, 1024).map((v) => ({ method: 'GET', headers: headers({ cookie: v }) })),
  'no credentials (other cookies only)': copies('theme=dark; _ga=GA1.2.3', 1024).map((v) => ({ method: 'GET', headers: headers({ cookie: v }) })),
};
const path = {};
for (const [name, reqs] of Object.entries(requests)) {
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await opsPerSecond((i) => auth.authenticate(reqs[i & 1023]), WARM_MS * 2));
  path[name] = median(samples);
}
await auth.close();
console.log('\n### latchkey per-request path: auth.authenticate(), in-process\n');
table(['request', 'ops/s', 'µs/op'], Object.entries(path).map(([name, v]) => [name, fmtOps(v), (1e6 / v).toFixed(2)]));

// A resource server's check: latchkey/verify against jose's jwtVerify with a pre-imported key (bench/verify-resource-server.mjs).
const resourceServer = await resourceServerBench({ rounds: ROUNDS, coldN: COLD_N, warmMs: WARM_MS });
printResourceServerBench(resourceServer, ROUNDS);

saveJSON('verify', { results, bursts, path, resourceServer });
