// The session cache on Redis: two instances, two store clients, one real redis-server (scenarios in
// test/support/cache-scenarios.ts).
import { Redis, type RedisOptions } from 'ioredis';
import { redisStore } from '../../src/entries/redis.js';
import { describeSessionCache } from '../support/cache-scenarios.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';

const CLIENT: RedisOptions = { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 200) };

let server: RedisServer | undefined;
const clients: Redis[] = [];

async function connected(port: number): Promise<Redis> {
  const client = new Redis(port, '127.0.0.1', CLIENT);
  client.on('error', () => {});
  clients.push(client);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

describeSessionCache('Redis', redisAvailable, {
  async start() {
    server = await startRedis();
    return server.port;
  },
  async stop() {
    for (const c of clients) c.disconnect();
    await server?.stop();
  },
  async store(port) {
    return redisStore({ client: await connected(port), heartbeat: '200ms', commandTimeout: '300ms' });
  },
  async dump() {
    const admin = await connected(server!.port);
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await admin.type(key);
        const value = type === 'hash' ? await admin.hgetall(key) : type === 'zset' ? await admin.zrange(key, 0, -1, 'WITHSCORES') : await admin.dump(key);
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
    return out.join('\n');
  },
});
