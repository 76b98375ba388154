// Redis round trips per latchkey operation, and throughput with and without ioredis auto-pipelining.
// Runs against dist/ (`npx tsup` first) and its own redis-server on a free port:
//   node bench/redis-roundtrips.mjs
// Round trips are counted by wrapping the client's sendCommand: with auto-pipelining off and the core's
// store calls made one after another, each command sent is one round trip.
import { Redis } from 'ioredis';
import { concurrentPerSecond, fmtOps, requireBuild, saveJSON, startRedis, table } from './lib.mjs';

requireBuild('redis');
const { createAuth, generateKey } = await import('latchkey');
const { redisStore } = await import('latchkey/redis');

const redis = await startRedis();
const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';
const key = await generateKey('EdDSA');

function counted(options) {
  const client = new Redis(redis.port, '127.0.0.1', options);
  const log = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    const keyArg = command.name === 'evalsha' || command.name === 'eval' ? String(command.args[2] ?? '') : String(command.args[0] ?? '');
    const kind = keyArg.includes(':u:') ? 'user index' : keyArg.includes(':s:') ? 'record' : '';
    log.push(`${command.name.toUpperCase()}${kind ? ` (${kind})` : ''}`);
    return send(command, stream);
  };
  return { client, log };
}

let offset = 0; // moves the core's clock past touchEvery without sleeping
const now = () => Date.now() + offset;
const { client, log } = counted({ enableAutoPipelining: false, maxRetriesPerRequest: 0 });
await client.ping();
const auth = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client }), accessToken: { checkSession: true }, now });

const cookie = (token) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
const bearer = (token) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });

async function measure(name, fn) {
  log.length = 0;
  await fn();
  return [name, String(log.length), log.join(', ') || '(none: answered locally)'];
}

// Warm up: every script is loaded on the server once (EVALSHA then EVAL the first time only).
{
  const s = await auth.signIn({ userId: 'warm' });
  await auth.authenticate(bearer(s.accessToken));
  const r = await auth.refresh({ refreshToken: s.refreshToken });
  offset += 61_000;
  await auth.authenticate(cookie(s.sessionToken));
  await auth.sessions.list('warm');
  await auth.signOut(r.session.id);
  await auth.signOutEverywhere('warm');
}

let s;
const rows = [];
rows.push(await measure('sign-in', async () => (s = await auth.signIn({ userId: 'bench-1', data: { role: 'user' } }))));
rows.push(await measure('authenticate by cookie', () => auth.authenticate(cookie(s.sessionToken))));
offset += 61_000;
rows.push(await measure('authenticate by cookie, touch due (once per touchEvery)', () => auth.authenticate(cookie(s.sessionToken))));
rows.push(await measure('authenticate by bearer + checkSession, first time', () => auth.authenticate(bearer(s.accessToken))));
rows.push(await measure('authenticate by bearer + checkSession, cached', () => auth.authenticate(bearer(s.accessToken))));
let r;
rows.push(await measure('refresh', async () => (r = await auth.refresh({ refreshToken: s.refreshToken }))));
rows.push(await measure('refresh, duplicate within reuseGrace', () => auth.refresh({ refreshToken: s.refreshToken })));
rows.push(await measure('sessions.list', () => auth.sessions.list('bench-1')));
rows.push(await measure('signOut', () => auth.signOut(r.session.id)));
await auth.signIn({ userId: 'bench-1' });
rows.push(await measure('signOutEverywhere', () => auth.signOutEverywhere('bench-1')));

console.log(`\nRedis round trips per operation (redis-server on 127.0.0.1:${redis.port})\n`);
table(['operation', 'round trips', 'commands'], rows);
await auth.close();
client.disconnect();

// Throughput: many requests in flight on one connection, auto-pipelining off vs on.
const TOTAL = Number(process.env.BENCH_TOTAL ?? 20_000);
const CONCURRENCY = 64;
const throughput = [];
for (const pipelining of [false, true]) {
  const c = new Redis(redis.port, '127.0.0.1', { enableAutoPipelining: pipelining, maxRetriesPerRequest: 0 });
  await c.ping();
  const a = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client: c }) });
  const sessions = [];
  const signIns = await concurrentPerSecond(2000, CONCURRENCY, async (i) => sessions.push(await a.signIn({ userId: `tp-${pipelining}-${i % 100}` })));
  const cookies = await concurrentPerSecond(TOTAL, CONCURRENCY, (i) => a.authenticate(cookie(sessions[i % sessions.length].sessionToken)));
  const refreshes = await concurrentPerSecond(sessions.length, CONCURRENCY, (i) => a.refresh({ refreshToken: sessions[i].refreshToken }));
  throughput.push([`auto-pipelining ${pipelining ? 'on' : 'off'}`, fmtOps(signIns), fmtOps(cookies), fmtOps(refreshes)]);
  await a.close();
  c.disconnect();
}
console.log(`\nThroughput, one ioredis connection, ${CONCURRENCY} requests in flight (ops/s)\n`);
table(['client', 'sign-in', 'authenticate by cookie', 'refresh'], throughput);

saveJSON('redis-roundtrips', { roundTrips: rows.map(([op, n, cmds]) => ({ op, roundTrips: Number(n), commands: cmds })), throughput });
await redis.stop();
