// latchkey/verify (a resource server's Bearer check) against jose's own jwtVerify with a pre-imported key, in the
// same process and the same run; every ratio is latchkey/verify / jose (≥ 1.00x: at least as fast as jose).
//   cold: N distinct tokens, each seen once by a fresh verifier (the verified-token cache misses);
//   warm: one token again and again (1024 distinct string copies), as a client presents it for its 15 minutes;
//   request: the same, read from a Node header record by verifier.verify({ headers }) (jose gets the bare token).
// latchkey/verify's keys come from a JWKS object (auth.jwks()); jose's key is imported once with importJWK.
// Usage: node bench/verify-resource-server.mjs (env BENCH_ROUNDS, BENCH_COLD_N, BENCH_WARM_MS); bench/verify.mjs runs it too.
import { eachPerSecond, fmtOps, fmtRatio, median, opsPerSecond, requireBuild, table } from './lib.mjs';

const ISS = 'https://api.example.com';
const AUD = 'web';

/** Measures both verifiers per algorithm; returns `{ [alg]: { [verifier]: { cold, warm, request } } }` in ops/s. */
export async function resourceServerBench({ rounds = 3, coldN = 2000, warmMs = 300, algs = ['Ed25519', 'ES256', 'RS256'] } = {}) {
  requireBuild('verify');
  const { createAuth, generateKey } = await import('../dist/index.js');
  const { createVerifier } = await import('../dist/verify.js');
  const jose = await import('jose');
  const results = {};
  for (const alg of algs) {
    const key = await generateKey(alg);
    const signer = createAuth({ keys: [key], issuer: ISS, audience: AUD });
    const n = alg === 'RS256' ? Math.ceil(coldN / 2) : coldN;
    const tokens = [];
    for (let i = 0; i < n; i++) tokens.push((await signer.signIn({ userId: `user-${i}` })).accessToken);
    const jwks = await signer.jwks();
    const joseKey = await jose.importJWK(jwks.keys[0], alg);
    const copies = Array.from({ length: 1024 }, () => Buffer.from(tokens[0]).toString());
    const requests = copies.map((t) => ({ headers: { host: 'api.example.com', accept: 'application/json', authorization: `Bearer ${t}` } }));
    const samples = { 'latchkey/verify': { cold: [], warm: [], request: [] }, 'jose jwtVerify': { cold: [], warm: [], request: [] } };
    for (let round = 0; round < rounds; round++) {
      const verifier = createVerifier({ issuer: ISS, audience: AUD, jwks });
      const joseVerify = (t) => jose.jwtVerify(t, joseKey, { algorithms: [alg], issuer: ISS, audience: AUD, typ: 'at+jwt', requiredClaims: ['sub', 'sid', 'iat', 'exp', 'jti'] });
      const bare = (header) => header.slice(7); // what jose is handed for the request row: the token, already cut out
      await verifier.verifyToken(tokens[0]); // correctness check; its token is then warm, so cold uses the rest
      await joseVerify(tokens[0]);
      const runs = {
        'latchkey/verify': async (s) => {
          s.cold.push(await eachPerSecond(tokens.slice(1), (t) => verifier.verifyToken(t)));
          s.warm.push(await opsPerSecond((i) => verifier.verifyToken(copies[i & 1023]), warmMs));
          s.request.push(await opsPerSecond((i) => verifier.verify(requests[i & 1023]), warmMs));
        },
        'jose jwtVerify': async (s) => {
          s.cold.push(await eachPerSecond(tokens.slice(1), joseVerify));
          s.warm.push(await opsPerSecond((i) => joseVerify(copies[i & 1023]), warmMs));
          s.request.push(await opsPerSecond((i) => joseVerify(bare(requests[i & 1023].headers.authorization)), warmMs));
        },
      };
      // interleaved: each round swaps which goes first, so neither always runs on a warmer (or busier) machine
      const order = round % 2 === 0 ? ['latchkey/verify', 'jose jwtVerify'] : ['jose jwtVerify', 'latchkey/verify'];
      for (const name of order) await runs[name](samples[name]);
    }
    results[alg] = Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, { cold: median(s.cold), warm: median(s.warm), request: median(s.request) }]));
    await signer.close();
  }
  return results;
}

/** Prints the table of `resourceServerBench` results. */
export function printResourceServerBench(results, rounds) {
  console.log(`\n### latchkey/verify vs jose jwtVerify (pre-imported key), ops/s (median of ${rounds} rounds; ratio = latchkey/verify / jose, same run)\n`);
  table(
    ['algorithm', 'cold: verify', 'cold: jose', 'cold ratio', 'warm: verify', 'warm: jose', 'warm ratio', 'request: verify({ headers })', 'request ratio'],
    Object.entries(results).map(([alg, r]) => {
      const v = r['latchkey/verify'];
      const j = r['jose jwtVerify'];
      return [alg, fmtOps(v.cold), fmtOps(j.cold), fmtRatio(v.cold / j.cold), fmtOps(v.warm), fmtOps(j.warm), fmtRatio(v.warm / j.warm), fmtOps(v.request), fmtRatio(v.request / j.request)];
    }),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const results = await resourceServerBench({ rounds, coldN: Number(process.env.BENCH_COLD_N ?? 2000), warmMs: Number(process.env.BENCH_WARM_MS ?? 300) });
  printResourceServerBench(results, rounds);
}
