import { Redis } from 'ioredis';
import { redisStore } from '../../src/entries/redis.js';
import { runStoreConformance } from '../../src/entries/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';

describe.skipIf(!redisAvailable)('redis store (single node)', () => {
  let server: RedisServer;
  let client: Redis;
  let n = 0;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  runStoreConformance('redis', () => redisStore({ client, prefix: `t${++n}:` }), {
    // Reads the user's index (a sorted set) straight from Redis: expired members must be pruned.
    indexSize: async (_store, userId) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `*:u:${userId}`, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      if (keys.length !== 1) throw new Error(`expected one index key for the user, found ${keys.length}`);
      return client.zcard(keys[0]!);
    },
  });

  it('the per-user cap orders records written before the ca field by the createdAt of their JSON', async () => {
    const store = redisStore({ client, prefix: `t${++n}:` });
    const userId = 'legacy-eviction';
    const t = Date.now();
    const [first, second] = [store.newId(userId), store.newId(userId)].sort() as [string, string];
    const at = { lastSeenAt: t, idleExpiresAt: t + 3_600_000, absoluteExpiresAt: t + 86_400_000, expiresAt: t + 3_600_000 };
    const make = (id: string, createdAt: number) => ({ id, userId, version: 1, secretHash: 'h', refresh: null, data: {}, createdAt, authTime: createdAt, meta: {}, ...at });
    // the same expiry; the larger id is the older record, so an order by id alone would evict the wrong one
    await store.create(make(first, t - 1000));
    await store.create(make(second, t - 5000));
    const [key] = await client.keys(`t${n}:*:s:${second}`);
    await client.hdel(key!, 'ca');
    const outcome = await store.create(make(store.newId(userId), t), { maxPerUser: 2 });
    expect(outcome?.evicted).toEqual([second]);
    await store.close();
  });
});
