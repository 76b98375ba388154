// latchkey/redis: the Redis store on ioredis, single node or Cluster (re-exports only).
export { redisStore } from '../stores/redis/redis-store.js';
export type { PolicyReport, RedisStore, RedisStoreOptions } from '../stores/redis/redis-store.js';
