import { Redis } from 'ioredis';
import { redisStore } from '../../src/entries/redis.js';
import { runStoreConformance } from '../../src/entries/testing.js';
import { afterAll, beforeAll, describe } from 'vitest';
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
});
