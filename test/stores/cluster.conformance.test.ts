import { Cluster } from 'ioredis';
import { redisStore } from '../../src/entries/redis.js';
import { runStoreConformance } from '../../src/entries/testing.js';
import { afterAll, beforeAll, describe } from 'vitest';
import { redisAvailable, startCluster, type RedisCluster } from '../support/redis.js';

describe.skipIf(!redisAvailable)('redis store (3-master Cluster)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let n = 0;

  beforeAll(async () => {
    cluster = await startCluster();
    client = new Cluster(cluster.nodes, { enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 1 } });
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  runStoreConformance('redis cluster', () => redisStore({ client, prefix: `c${++n}:` }));
});
