// A 503 is never followed by a theft alarm: refreshes that time out on a frozen Redis still commit when it
// resumes; the clients' retries of the same tokens must succeed. Theft stays detected.
import { Redis } from 'ioredis';
import { createAuth, generateKey, isAuthError, type Auth, type AuthEvent } from '../../src/entries/index.js';
import { redisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { codeOf, sleep } from '../support/outcome.js';

describe.skipIf(!redisAvailable)('refresh retries after a frozen Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    server?.resume();
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  async function setup(): Promise<{ auth: Auth<true>; events: AuthEvent[] }> {
    const client = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    clients.push(client);
    const events: AuthEvent[] = [];
    const auth = createAuth({
      keys: [await generateKey('EdDSA')],
      issuer: 'https://api.example.com',
      audience: 'web',
      store: redisStore({ client, commandTimeout: '300ms' }),
      refreshToken: { reuseGrace: '1s' },
      onEvent: (e) => void events.push(e),
    });
    return { auth, events };
  }

  it('refreshes answered 503 while Redis was frozen, whose scripts ran on resume: the retries succeed, 0 refresh_reused', async () => {
    const { auth, events } = await setup();
    const sessions = [];
    for (let i = 0; i < 10; i++) sessions.push(await auth.signIn({ userId: `frozen-retry-${i}` }));
    await sleep(50); // the store measured Redis' clock on first use
    server.pause();
    let during: string[];
    try {
      during = await Promise.all(sessions.map((s) => codeOf(auth.refresh({ refreshToken: s.refreshToken }))));
    } finally {
      server.resume();
    }
    expect(during).toEqual(Array(10).fill('store_unavailable'));
    await sleep(1500); // past reuseGrace: without the rule these retries were refresh_reused
    const retries = await Promise.all(sessions.map((s) => auth.refresh({ refreshToken: s.refreshToken }).then((r) => r, (e: unknown) => e)));
    const reused = events.filter((e) => e.type === 'refresh_reused');
    console.log(`frozen then resumed: ${retries.filter((r) => !isAuthError(r)).length} of 10 retries succeeded, ${reused.length} refresh_reused`);
    expect(reused).toEqual([]);
    for (const [i, r] of retries.entries()) {
      expect(isAuthError(r)).toBe(false);
      const next = r as Awaited<ReturnType<typeof auth.refresh>>;
      expect(next.session.id).toBe(sessions[i]!.session.id);
      // the retried generation works, and the chain goes on
      expect(await codeOf(auth.refresh({ refreshToken: next.refreshToken }))).toBe('ok');
    }
    // theft detection is intact: the original token, presented again now, revokes the session
    expect(await codeOf(auth.refresh({ refreshToken: sessions[0]!.refreshToken }))).toBe('refresh_reused');
    await auth.close();
  });

  it('a thief who refreshed first and used the result is still caught when the victim presents the old token', async () => {
    const { auth, events } = await setup();
    const victim = await auth.signIn({ userId: 'thief-target' });
    const stolen = await auth.refresh({ refreshToken: victim.refreshToken }); // the thief rotates first
    await auth.refresh({ refreshToken: stolen.refreshToken }); // and uses the result
    await sleep(1100);
    expect(await codeOf(auth.refresh({ refreshToken: victim.refreshToken }))).toBe('refresh_reused');
    expect(events.filter((e) => e.type === 'refresh_reused')).toHaveLength(1);
    await auth.close();
  });

  it('a thief who refreshed first (answered in time) is caught at once: only a rotation that ran late may be retried', async () => {
    const { auth } = await setup();
    const victim = await auth.signIn({ userId: 'thief-target-2' });
    const stolen = await auth.refresh({ refreshToken: victim.refreshToken });
    await sleep(1100);
    expect(await codeOf(auth.refresh({ refreshToken: victim.refreshToken }))).toBe('refresh_reused');
    expect(await codeOf(auth.refresh({ refreshToken: stolen.refreshToken }))).toBe('session_invalid');
    await auth.close();
  });
});
