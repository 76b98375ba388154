// redisStore validates its options as createAuth does: unknown keys refused, durations in the one Duration form.
import { Redis } from 'ioredis';
import { redisStore, type RedisStoreOptions } from '../../src/entries/redis.js';
import { afterAll, describe, expect, it } from 'vitest';

describe('redisStore options', () => {
  const client = new Redis({ lazyConnect: true });
  afterAll(() => client.disconnect());

  it('refuses unknown options, naming the known ones', () => {
    expect(() => redisStore({ client, commandTimout: '1s' } as unknown as RedisStoreOptions)).toThrow(/unknown redisStore option commandTimout; expected one of client, prefix, commandTimeout, heartbeat/);
  });

  it('takes commandTimeout and heartbeat as Durations (a number is seconds), and refuses a millisecond count given as seconds', () => {
    expect(() => redisStore({ client, commandTimeout: '300ms', heartbeat: '200ms' })).not.toThrow();
    expect(() => redisStore({ client, commandTimeout: 2 })).not.toThrow();
    expect(() => redisStore({ client, commandTimeout: 1000 })).toThrow(/commandTimeout is 1000 s; a number is seconds, as in createAuth: write '1000ms'/);
    expect(() => redisStore({ client, commandTimeout: 0 })).toThrow(/commandTimeout must be greater than zero/);
    expect(() => redisStore({ client, heartbeat: 'soon' as '1s' })).toThrow(/redisStore heartbeat must be a duration/);
    expect(() => redisStore({ client, prefix: 'a{b}' })).toThrow(/prefix must be a string without \{ or \}/);
  });
});
