// One user with 20,000 sessions: sessions.list and signOutEverywhere stay bounded and never block the
// store (Redis: no script runs longer than a few ms, measured by SLOWLOG) or another user's requests.
import { Redis } from 'ioredis';
import { createAuth, memoryStore, type Auth, type SessionStore } from '../../src/entries/index.js';
import { redisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';

const SESSIONS = 20_000;

/** Runs `work` while another user authenticates by cookie in a loop; returns that user's slowest request (ms). */
async function slowestOtherRequest(auth: Auth<false>, work: () => Promise<unknown>): Promise<number> {
  const other = await auth.signIn({ userId: 'bystander' });
  const request = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${other.sessionToken}` } };
  let done = false;
  let slowest = 0;
  const probe = (async () => {
    while (!done) {
      const started = performance.now();
      await auth.authenticate(request);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  await work();
  done = true;
  await probe;
  return slowest;
}

async function fill(auth: Auth<false>, userId: string): Promise<void> {
  for (let i = 0; i < SESSIONS; i += 1000) await Promise.all(Array.from({ length: 1000 }, () => auth.signIn({ userId })));
}

function auth(store: SessionStore): Auth<false> {
  return createAuth({ store, session: { maxPerUser: SESSIONS + 1 } });
}

describe.skipIf(!redisAvailable)('20,000 sessions of one user on Redis', () => {
  let server: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('list and signOutEverywhere page through the index: no script over a few ms, another user stays fast', async () => {
    const a = auth(redisStore({ client, commandTimeout: '1s' }));
    await fill(a, 'hoarder');
    await client.config('SET', 'slowlog-log-slower-than', '0');
    await client.config('SET', 'slowlog-max-len', '100000');
    await client.slowlog('RESET');
    let listed = 0;
    const duringList = await slowestOtherRequest(a, async () => {
      listed = (await a.sessions.list('hoarder')).length;
    });
    let ended = 0;
    const duringSignOut = await slowestOtherRequest(a, async () => {
      ended = await a.signOutEverywhere('hoarder');
    });
    const log = (await client.slowlog('GET', 100_000)) as [number, number, number, string[]][];
    const times = log.filter((entry) => /^eval/i.test(String(entry[3][0]))).map((entry) => entry[2] / 1000).sort((x, y) => x - y);
    const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;
    console.log(`Redis, 20k sessions: list ${listed}, signOutEverywhere ${ended}; ${times.length} scripts, median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${at(1).toFixed(2)} ms (wall time on a shared machine); another user's slowest request ${duringList.toFixed(0)} ms (list), ${duringSignOut.toFixed(0)} ms (sign-out everywhere)`);
    await client.config('SET', 'slowlog-log-slower-than', '10000');
    expect(listed).toBe(SESSIONS);
    expect(ended).toBe(SESSIONS);
    expect(await a.sessions.list('hoarder')).toEqual([]);
    expect(at(0.5)).toBeLessThan(3);
    expect(at(0.95)).toBeLessThan(8);
    expect(Math.max(duringList, duringSignOut)).toBeLessThan(400);
  });
});

describe('20,000 sessions of one user in memory', () => {
  it('list and signOutEverywhere yield to other requests', async () => {
    const a = auth(memoryStore());
    await fill(a, 'hoarder');
    let listed = 0;
    const duringList = await slowestOtherRequest(a, async () => {
      listed = (await a.sessions.list('hoarder')).length;
    });
    let ended = 0;
    const duringSignOut = await slowestOtherRequest(a, async () => {
      ended = await a.signOutEverywhere('hoarder');
    });
    console.log(`memory, 20k sessions: another user's slowest request ${duringList.toFixed(0)} ms (list), ${duringSignOut.toFixed(0)} ms (sign-out everywhere)`);
    expect(listed).toBe(SESSIONS);
    expect(ended).toBe(SESSIONS);
    expect(Math.max(duringList, duringSignOut)).toBeLessThan(100);
  });
});
