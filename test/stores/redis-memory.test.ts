// Redis under memory limits: an evicting policy must never leave a session reachable but unlisted (so
// sign-out everywhere ends every usable session), a full Redis with noeviction refuses sign-ins whole (503,
// nothing half-written) while reads, refresh and sign-out keep working, and the store says which policy
// it found.
import { Redis } from 'ioredis';
import { createAuth, generateKey, type Auth, type SigningKey } from '../../src/entries/index.js';
import { redisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { codeOf, sleep } from '../support/outcome.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';

const cookie = (auth: Auth, token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
const bearer = (token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });

async function info(client: Redis, field: string): Promise<number> {
  const text = await client.info();
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(text)?.[1] ?? 'NaN');
}

describe.skipIf(!redisAvailable)('Redis memory limits', () => {
  let key: SigningKey;
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];

  async function server(args: string[]): Promise<{ server: RedisServer; client: Redis }> {
    const s = await startRedis({ args });
    servers.push(s);
    const c = new Redis(s.port, '127.0.0.1', { enableAutoPipelining: true, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    clients.push(c);
    return { server: s, client: c };
  }

  function auth(client: Redis, checkSession = false): Auth {
    return createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client }), accessToken: { checkSession }, session: { maxPerUser: false } });
  }

  beforeAll(async () => {
    key = await generateKey('EdDSA');
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('an evicted index (what volatile-lru did): the stolen cookie stops working, list and sign-out everywhere agree, other instances drop their cache', async () => {
    const { client } = await server([]);
    const a = auth(client);
    const bClient = new Redis(servers.at(-1)!.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(bClient);
    const b = auth(bClient, true);
    const [phone, laptop] = [await a.signIn({ userId: 'victim' }), await a.signIn({ userId: 'victim' })];
    expect(await codeOf(b.authenticate(bearer(laptop.accessToken)))).toBe('ok');
    await sleep(100); // subscribed and confirmed
    expect(await codeOf(b.authenticate(bearer(laptop.accessToken)))).toBe('ok');
    const [index] = await client.keys('latchkey:*:u:victim');
    expect(await client.del(index!)).toBe(1); // exactly what the eviction of the index key does
    // the records are still in Redis, yet neither can be used, and the list says so
    expect(await client.exists(`latchkey:{${phone.session.id.slice(0, 3)}}:s:${phone.session.id}`)).toBe(1);
    expect(await codeOf(a.authenticate(cookie(a, phone.sessionToken)))).toBe('session_invalid');
    expect(await codeOf(a.refresh({ refreshToken: laptop.refreshToken }))).toBe('session_invalid');
    expect(await a.sessions.list('victim')).toEqual([]);
    await a.signOutEverywhere('victim');
    const started = Date.now();
    while ((await codeOf(b.authenticate(bearer(laptop.accessToken)))) === 'ok' && Date.now() - started < 2000) await sleep(10);
    expect(await codeOf(b.authenticate(bearer(laptop.accessToken)))).toBe('session_invalid');
    expect(Date.now() - started).toBeLessThan(500);
    await Promise.all([a.close(), b.close()]);
  });

  for (const policy of ['volatile-lru', 'volatile-random', 'allkeys-lru']) it(`under real eviction (maxmemory 4mb, ${policy}) every usable session is listed, and sign-out everywhere ends them all`, async () => {
    const { client } = await server(['--maxmemory', '4mb', '--maxmemory-policy', policy]);
    const a = auth(client);
    const victims = [];
    for (let i = 0; i < 40; i++) victims.push(await a.signIn({ userId: 'evicted-victim', data: { i } }));
    const filler = 'x'.repeat(2000);
    for (let round = 0; round < 30 && (await info(client, 'evicted_keys')) < 2000; round++) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 500; i++) pipeline.set(`filler:${round}:${i}`, filler, 'EX', 3600);
      await pipeline.exec();
      for (const v of victims.slice(0, 5)) await codeOf(a.authenticate(cookie(a, v.sessionToken)));
    }
    const evicted = await info(client, 'evicted_keys');
    expect(evicted).toBeGreaterThan(0);
    const listed = new Set((await a.sessions.list('evicted-victim')).map((s) => s.id));
    let usable = 0;
    for (const v of victims) {
      const code = await codeOf(a.authenticate(cookie(a, v.sessionToken)));
      if (code === 'ok') {
        usable++;
        expect(listed.has(v.session.id)).toBe(true);
      } else {
        expect(code).toBe('session_invalid');
      }
    }
    console.log(`${policy} under pressure: ${evicted} keys evicted; ${usable} of 40 sessions usable, all of them listed`);
    await a.signOutEverywhere('evicted-victim');
    for (const v of victims) expect(await codeOf(a.authenticate(cookie(a, v.sessionToken)))).toBe('session_invalid');
    await a.close();
  });

  it('maxmemory with noeviction: a sign-in is refused whole with 503, while cookie auth, refresh and sign-out keep working', async () => {
    const { client } = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    const a = auth(client);
    const existing = await a.signIn({ userId: 'oom-1' });
    const other = await a.signIn({ userId: 'oom-2' });
    // fill with big values, then with small ones until three in a row are refused: no headroom left
    let refusedInARow = 0;
    for (let i = 0; refusedInARow < 3; i++) {
      const value = 'y'.repeat(refusedInARow > 0 || i > 200 ? 200 : 50_000);
      const full = await client.set(`big:${i}`, value).then(() => false, (e: Error) => /OOM/.test(e.message));
      refusedInARow = full && value.length === 200 ? refusedInARow + 1 : full ? 1 : 0;
      if (i > 20_000) throw new Error('never reached maxmemory');
    }
    // no headroom that a freed client buffer could reopen: the limit goes below what Redis already holds
    // (noeviction evicts nothing; every write that may grow memory is refused from now on)
    await client.config('SET', 'maxmemory', String((await info(client, 'used_memory')) - 256 * 1024));
    const keysBefore = await client.dbsize();
    const memoryBefore = await info(client, 'used_memory');
    const refused = await a.signIn({ userId: 'oom-1', data: { note: 'z'.repeat(2000) } }).then(() => null, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(String((refused as { cause: Error }).cause.message)).toMatch(/OOM/);
    for (let i = 0; i < 20; i++) expect(await codeOf(a.signIn({ userId: `oom-new-${i}` }))).toBe('store_unavailable');
    expect(await client.dbsize()).toBe(keysBefore);
    expect(await info(client, 'used_memory')).toBeLessThan(memoryBefore + 200_000);
    expect((await a.sessions.list('oom-1')).map((s) => s.id)).toEqual([existing.session.id]);
    expect(await codeOf(a.authenticate(cookie(a, existing.sessionToken)))).toBe('ok');
    expect(await codeOf(a.refresh({ refreshToken: existing.refreshToken }))).toBe('ok');
    expect(await a.signOut(other.session.id)).toBe(true);
    expect(await codeOf(a.authenticate(cookie(a, other.sessionToken)))).toBe('session_invalid');
    expect(await a.signOutEverywhere('oom-1')).toBe(1);
    await a.close();
  });

  it('the store reads the memory policy: an evicting one is reported with the reason and warned about once, noeviction is safe', async () => {
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { client: evicting } = await server(['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru']);
      const store = redisStore({ client: evicting });
      expect(await store.checkPolicy()).toMatchObject({ policy: 'volatile-lru', safe: false });
      expect((await store.checkPolicy()).reason).toMatch(/volatile-lru.*noeviction/s);
      const a = createAuth({ store });
      await a.signIn({ userId: 'policy-1' });
      await a.signIn({ userId: 'policy-2' });
      const deadline = Date.now() + 2000;
      while (!warnings.some((w) => w.code === 'LATCHKEY_REDIS_POLICY') && Date.now() < deadline) await sleep(10);
      expect(warnings.filter((w) => w.code === 'LATCHKEY_REDIS_POLICY')).toHaveLength(1);
      const { client: strict } = await server(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction']);
      expect(await redisStore({ client: strict }).checkPolicy()).toMatchObject({ policy: 'noeviction', safe: true, reason: '' });
      const { client: unlimited } = await server([]);
      expect(await redisStore({ client: unlimited }).checkPolicy()).toMatchObject({ maxmemory: 0, safe: true });
    } finally {
      process.off('warning', onWarning);
    }
  });
});
