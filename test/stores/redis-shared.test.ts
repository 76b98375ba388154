// Two createAuth instances, each on its own ioredis connection, sharing one Redis: what an app behind a
// load balancer sees. Single node and a 3-master Cluster.
import { Cluster, Redis } from 'ioredis';
import { createAuth, generateKey, type Auth, type SigningKey } from '../../src/entries/index.js';
import { redisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startCluster, startRedis, type RedisCluster, type RedisServer } from '../support/redis.js';
import { codeOf, sleep } from '../support/outcome.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';

function cookieRequest(auth: Auth, sessionToken: string): { method: string; headers: Record<string, string> } {
  return { method: 'GET', headers: { cookie: `${auth.cookies.session}=${sessionToken}` } };
}

function bearerRequest(token: string): { method: string; headers: Record<string, string> } {
  return { method: 'GET', headers: { authorization: `Bearer ${token}` } };
}

describe.skipIf(!redisAvailable)('two instances sharing one Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  let key: SigningKey;

  function instance(checkSession: boolean): Auth {
    const client = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
    clients.push(client);
    return createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client }), accessToken: { checkSession } });
  }

  beforeAll(async () => {
    server = await startRedis();
    key = await generateKey('EdDSA');
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  it('a session signed in on one instance authenticates, refreshes and signs out on the other', async () => {
    const a = instance(false);
    const b = instance(false);
    const signedIn = await a.signIn({ userId: 'shared-1', data: { role: 'admin' } });

    const byCookie = await b.authenticate(cookieRequest(b, signedIn.sessionToken));
    expect(byCookie).toMatchObject({ via: 'cookie', userId: 'shared-1', sessionId: signedIn.session.id, data: { role: 'admin' } });
    expect(await b.authenticate(bearerRequest(signedIn.accessToken))).toMatchObject({ via: 'bearer', userId: 'shared-1' });

    const refreshed = await b.refresh({ refreshToken: signedIn.refreshToken });
    expect(refreshed.session.id).toBe(signedIn.session.id);
    expect(await a.refresh({ refreshToken: refreshed.refreshToken })).toMatchObject({ session: { id: signedIn.session.id } });

    expect(await b.signOut(signedIn.session.id)).toBe(true);
    expect(await codeOf(a.authenticate(cookieRequest(a, signedIn.sessionToken)))).toBe('session_invalid');
    expect(await codeOf(a.refresh({ refreshToken: refreshed.refreshToken }))).toBe('session_invalid');
    await Promise.all([a.close(), b.close()]);
  });

  it('concurrent refreshes of one token on both instances converge on one new token', async () => {
    const a = instance(false);
    const b = instance(false);
    const signedIn = await a.signIn({ userId: 'shared-2' });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).refresh({ refreshToken: signedIn.refreshToken })));
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    const next = await b.refresh({ refreshToken: results[0]!.refreshToken });
    expect(next.session.id).toBe(signedIn.session.id);
    expect(next.refreshToken).not.toBe(results[0]!.refreshToken);
    await Promise.all([a.close(), b.close()]);
  });

  it('with checkSession, a sign-out on one instance is refused on the other within a second (pub/sub)', async () => {
    const a = instance(true);
    const b = instance(true);

    // Warm up: until B has heard one revocation, its subscription may not be live yet.
    const warm = await a.signIn({ userId: 'shared-warm' });
    await b.verifyAccessToken(warm.accessToken);
    await a.signOut(warm.session.id);
    const warmDeadline = Date.now() + 5000;
    while ((await codeOf(b.verifyAccessToken(warm.accessToken))) === 'ok') {
      if (Date.now() > warmDeadline) throw new Error('instance B never heard a revocation');
      await sleep(5);
    }

    const signedIn = await a.signIn({ userId: 'shared-3' });
    // B now answers this token from its local cache (touchEvery = 1 min): only the broadcast can change that.
    expect(await codeOf(b.verifyAccessToken(signedIn.accessToken))).toBe('ok');
    expect(await codeOf(b.verifyAccessToken(signedIn.accessToken))).toBe('ok');
    const signedOutAt = performance.now();
    await a.signOut(signedIn.session.id);
    let delay = Infinity;
    while (performance.now() - signedOutAt < 2000) {
      if ((await codeOf(b.verifyAccessToken(signedIn.accessToken))) === 'session_invalid') {
        delay = performance.now() - signedOutAt;
        break;
      }
      await sleep(1);
    }
    console.log(`revocation reached the other instance ${delay.toFixed(1)} ms after sign-out returned`);
    expect(delay).toBeLessThan(1000);
    await Promise.all([a.close(), b.close()]);
  });
});

describe.skipIf(!redisAvailable)('two instances sharing a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  const clients: Cluster[] = [];
  let key: SigningKey;

  function instance(): Auth {
    const client = new Cluster(cluster.nodes, { enableAutoPipelining: true, redisOptions: { maxRetriesPerRequest: 1 } });
    clients.push(client);
    return createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client }), accessToken: { checkSession: true } });
  }

  beforeAll(async () => {
    cluster = await startCluster();
    key = await generateKey('EdDSA');
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  it('lists and signs out everywhere across instances without CROSSSLOT errors', async () => {
    const a = instance();
    const b = instance();
    const users = ['cluster-u1', 'cluster-u2', 'cluster-u3', 'cluster-u4'];
    const sessions = await Promise.all(users.flatMap((userId) => [0, 1, 2].map(() => a.signIn({ userId }))));
    for (const userId of users) expect(await b.sessions.list(userId)).toHaveLength(3);

    const keep = sessions.find((s) => s.session.userId === 'cluster-u1')!;
    expect(await b.signOutEverywhere('cluster-u1', { except: keep.session.id })).toBe(2);
    expect((await a.sessions.list('cluster-u1')).map((s) => s.id)).toEqual([keep.session.id]);
    for (const s of sessions.filter((x) => x.session.userId === 'cluster-u1')) {
      const expected = s === keep ? 'ok' : 'session_invalid';
      expect(await codeOf(a.authenticate(cookieRequest(a, s.sessionToken)))).toBe(expected);
    }
    // Other users, in other slots, are untouched; refresh and elevate work on Cluster too.
    const other = sessions.find((s) => s.session.userId === 'cluster-u2')!;
    const refreshed = await b.refresh({ refreshToken: other.refreshToken });
    const elevated = await a.elevate(other.session.id);
    expect(await codeOf(b.refresh({ refreshToken: refreshed.refreshToken }))).toBe('session_invalid');
    expect((await b.sessions.list('cluster-u2')).map((s) => s.id)).toContain(elevated.session.id);
    expect(await b.signOutEverywhere('cluster-u2')).toBe(3);
    await Promise.all([a.close(), b.close()]);
  });
});
