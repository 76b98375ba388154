// The per-request cookie read on Redis: every request reads Redis; only the parse of an unchanged record
// is reused. A change, a revocation or another user's record must show at once.
import { Redis } from 'ioredis';
import { createAuth, type Auth } from '../../src/entries/index.js';
import { redisStore, type RedisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';

const readShared = Symbol.for('latchkey.store.readShared');

describe.skipIf(!redisAvailable)('redisStore: the per-request cookie read', () => {
  let server: RedisServer;
  let client: Redis;
  let store: RedisStore;
  let auth: Auth<false>;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url);
    store = redisStore({ client });
    // these tests count the store's own reads: the session cache (test/stores/session-cache-redis.test.ts) is off
    auth = createAuth({ store, session: { cache: false } });
  });
  afterAll(async () => {
    await auth?.close();
    client?.disconnect();
    await server?.stop();
  });

  const request = (token: string) => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });

  it('reads the same record get() reads, and the app still gets data of its own', async () => {
    const { sessionToken, session } = await auth.signIn({ userId: 'u1', data: { role: 'admin', tags: ['a'] } });
    const first = (await auth.authenticate(request(sessionToken)))!;
    expect(first).toMatchObject({ userId: 'u1', sessionId: session.id, data: { role: 'admin', tags: ['a'] } });
    (first.data as { tags: string[] }).tags.push('b');
    const second = (await auth.authenticate(request(sessionToken)))!; // the reused parse
    expect(second.data).toEqual({ role: 'admin', tags: ['a'] });
    const shared = (await (store as unknown as Record<symbol, (id: string) => Promise<unknown>>)[readShared]!(session.id)) as Record<string, unknown>;
    const copy = (await store.get(session.id)) as unknown as Record<string, unknown>;
    expect(shared).toEqual(copy);
  });

  it('a data update shows on the very next request, and a sign-out refuses it', async () => {
    const { sessionToken, session } = await auth.signIn({ userId: 'u2', data: { n: 1 } });
    expect((await auth.authenticate(request(sessionToken)))!.data).toEqual({ n: 1 });
    await auth.sessions.update(session.id, { n: 2 });
    expect((await auth.authenticate(request(sessionToken)))!.data).toEqual({ n: 2 });
    await auth.signOut(session.id);
    await expect(auth.authenticate(request(sessionToken))).rejects.toMatchObject({ code: 'session_invalid' });
  });

  it('a wrong secret for a session whose parse is cached is still refused', async () => {
    const { sessionToken } = await auth.signIn({ userId: 'u3' });
    await auth.authenticate(request(sessionToken));
    const wrong = `${sessionToken.slice(0, 23)}${sessionToken[23] === 'A' ? 'B' : 'A'}${sessionToken.slice(24)}`;
    await expect(auth.authenticate(request(wrong))).rejects.toMatchObject({ code: 'session_invalid' });
  });

  /** How many times Redis has run a command so far (INFO commandstats), e.g. `evalsha`. */
  async function calls(command: string): Promise<number> {
    const info = await client.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  }

  it('cookie requests that arrive together are read in one Redis command, each with its own outcome', async () => {
    const live = await Promise.all(Array.from({ length: 40 }, (_, i) => auth.signIn({ userId: `batch-${i % 7}`, data: { i } })));
    const ended = await auth.signIn({ userId: 'batch-ended' });
    await auth.signOut(ended.session.id);
    const evicted = await auth.signIn({ userId: 'batch-evicted' });
    await client.del(`latchkey:{${evicted.session.id.slice(0, 3)}}:u:batch-evicted`); // as an evicting memory policy would
    const before = await calls('evalsha');
    const outcomes = await Promise.allSettled([
      ...live.map((signedIn) => auth.authenticate(request(signedIn.sessionToken))),
      auth.authenticate(request(ended.sessionToken)),
      auth.authenticate(request(evicted.sessionToken)),
      auth.authenticate(request(live[3]!.sessionToken)), // the same session twice in one batch
    ]);
    expect(await calls('evalsha')).toBe(before + 1);
    live.forEach((signedIn, i) => expect(outcomes[i]).toMatchObject({ status: 'fulfilled', value: { userId: `batch-${i % 7}`, sessionId: signedIn.session.id, data: { i } } }));
    expect(outcomes[40]).toMatchObject({ status: 'rejected', reason: { code: 'session_invalid' } });
    expect(outcomes[41]).toMatchObject({ status: 'rejected', reason: { code: 'session_invalid' } });
    expect(outcomes[42]).toMatchObject({ status: 'fulfilled', value: { sessionId: live[3]!.session.id, data: { i: 3 } } });
    expect(await client.exists(`latchkey:{${evicted.session.id.slice(0, 3)}}:s:${evicted.session.id}`)).toBe(0); // the unlisted record is gone
  });

  it('more reads than one command carries are split, and a later turn is read on its own', async () => {
    const signedIn = await auth.signIn({ userId: 'batch-many' });
    const before = await calls('evalsha');
    const many = await Promise.all(Array.from({ length: 150 }, () => auth.authenticate(request(signedIn.sessionToken))));
    expect(many.every((context) => context?.sessionId === signedIn.session.id)).toBe(true);
    expect(await calls('evalsha')).toBe(before + 3); // 64 + 64 + 22
    await auth.authenticate(request(signedIn.sessionToken));
    expect(await calls('evalsha')).toBe(before + 4);
  });

  it('a frozen Redis fails every read of a batch closed with 503 within the command timeout, and the next batch reads again', async () => {
    const own = await startRedis();
    const ownClient = new Redis(own.url, { maxRetriesPerRequest: 0 });
    const frozenAuth = createAuth({ store: redisStore({ client: ownClient, commandTimeout: '300ms' }) });
    const sessions = await Promise.all(Array.from({ length: 10 }, (_, i) => frozenAuth.signIn({ userId: `frozen-${i}` })));
    try {
      own.pause();
      const started = Date.now();
      const outcomes = await Promise.allSettled(sessions.map((signedIn) => frozenAuth.authenticate(request(signedIn.sessionToken))));
      expect(Date.now() - started).toBeLessThan(1500);
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'store_unavailable', status: 503 } });
      own.resume();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await Promise.all(sessions.map((signedIn) => frozenAuth.authenticate(request(signedIn.sessionToken))));
      expect(again.map((context) => context?.userId)).toEqual(sessions.map((_, i) => `frozen-${i}`));
    } finally {
      own.resume();
      await frozenAuth.close();
      ownClient.disconnect();
      await own.stop();
    }
  });

  it('a Redis that stops answering fails the cookie read closed with 503', async () => {
    const { sessionToken } = await auth.signIn({ userId: 'u4' });
    const down = redisStore({ client: new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 }) });
    const other = createAuth({ store: down });
    await expect(other.authenticate(request(sessionToken))).resolves.toMatchObject({ userId: 'u4' });
    await server.stop();
    await expect(other.authenticate(request(sessionToken))).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    await other.close();
  });
});
