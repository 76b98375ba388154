// The per-request cookie read on Redis: every request reads Redis; only the parse of an unchanged record
// is reused. A change, a revocation or another user's record must show at once.
import { Redis } from 'ioredis';
import { createAuth, type Auth } from 'latchkey';
import { redisStore, type RedisStore } from 'latchkey/redis';
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
    auth = createAuth({ store });
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
