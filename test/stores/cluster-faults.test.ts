// Redis Cluster, 3 masters + 3 replicas, under faults: a subscriber killed on its node at the moment of a
// sign-out elsewhere (ioredis would move it silently), and a master killed under load (failover).
import { Cluster, Redis } from 'ioredis';
import { createAuth, generateKey, isAuthError, type Auth, type AuthEvent, type SignInResult, type SigningKey } from '../../src/entries/index.js';
import { redisStore, type RedisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from '../support/child.js';
import { redisAvailable, startCluster, type RedisCluster } from '../support/redis.js';
import { codeOf, sleep } from '../support/outcome.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';
const MAX_DELAY = 1000;
const bearer = (token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });
const cookie = (auth: Auth, token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { cookie: `${auth.cookies.session}=${token}` } });
/** 'ok' while either credential of the session passes on `auth` (the bearer token, or the session cookie from its cache), else the bearer's refusal. */
async function either(auth: Auth, s: SignInResult): Promise<string> {
  const [token, session] = await Promise.all([codeOf(auth.authenticate(bearer(s.accessToken))), codeOf(auth.authenticate(cookie(auth, s.sessionToken)))]);
  return session === 'ok' ? 'ok' : token;
}

describe.skipIf(!redisAvailable)('Redis Cluster 3 + 3 under faults', () => {
  let cluster: RedisCluster;
  let key: SigningKey;
  const clients: (Cluster | Redis)[] = [];

  function clusterClient(): Cluster {
    const c = new Cluster(cluster.nodes, { enableAutoPipelining: true, enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 0 } });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }

  function node(port: number): Redis {
    const c = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }

  function instance(store: RedisStore, checkSession: boolean, events?: AuthEvent[]): Auth<true> {
    return createAuth({
      keys: [key],
      issuer: ISSUER,
      audience: AUDIENCE,
      store,
      accessToken: { checkSession, maxRevocationDelay: `${MAX_DELAY}ms` },
      refreshToken: { reuseGrace: '1s' },
      ...(events ? { onEvent: (e: AuthEvent) => void events.push(e) } : {}),
    });
  }

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 1 });
    key = await generateKey('EdDSA');
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await cluster?.stop();
  });

  it('the subscriber killed on its node (CLIENT KILL TYPE pubsub) as another instance signs out: the token is refused within the bound, 5 of 5', async () => {
    const a = instance(redisStore({ client: clusterClient() }), false);
    const storeB = redisStore({ client: clusterClient(), heartbeat: '200ms' });
    const b = instance(storeB, true);
    const admins = cluster.nodes.map((n) => node(n.port));
    const windows: number[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const s = await a.signIn({ userId: `moved-${trial}` });
      expect(await either(b, s)).toBe('ok');
      const deadline = Date.now() + 5000;
      while (storeB.broadcastLag() > 400 && Date.now() < deadline) await sleep(10);
      expect(await either(b, s)).toBe('ok'); // cached (token and cookie), broadcast confirmed
      const lists = await Promise.all(admins.map((c) => c.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as Promise<string>));
      const holder = lists.findIndex((list) => list.trim() !== '');
      expect(holder).toBeGreaterThan(-1);
      await Promise.all([admins[holder]!.call('CLIENT', 'KILL', 'TYPE', 'pubsub'), a.signOut(s.session.id)]);
      const started = performance.now();
      while ((await either(b, s)) === 'ok' && performance.now() - started < 5000) await sleep(5);
      windows.push(performance.now() - started);
      let after = await codeOf(b.authenticate(bearer(s.accessToken)));
    for (const until = Date.now() + 3000; after === 'store_unavailable' && Date.now() < until; await sleep(50)) after = await codeOf(b.authenticate(bearer(s.accessToken)));
    expect(after).toBe('session_invalid');
    expect(await codeOf(b.authenticate(cookie(b, s.sessionToken)))).toBe('session_invalid');
    }
    console.log(`Cluster subscriber killed at sign-out: revoked token or cookie accepted for ${windows.map((w) => w.toFixed(0)).join(', ')} ms (bound ${MAX_DELAY} ms)`);
    expect(Math.max(...windows)).toBeLessThan(MAX_DELAY);
    await Promise.all([a.close(), b.close(), storeB.close()]);
  });

  it("the subscriber's node frozen (SIGSTOP) while another instance signs out: the token is refused within the bound", async () => {
    const a = instance(redisStore({ client: clusterClient() }), false);
    const storeB = redisStore({ client: clusterClient(), heartbeat: '200ms', commandTimeout: '300ms' });
    const b = instance(storeB, true);
    const admins = cluster.nodes.map((n) => node(n.port));
    const first = await a.signIn({ userId: 'frozen-node-probe' });
    expect(await codeOf(b.authenticate(bearer(first.accessToken)))).toBe('ok');
    const deadline = Date.now() + 5000;
    while (storeB.broadcastLag() > 400 && Date.now() < deadline) await sleep(10);
    const lists = await Promise.all(admins.map((c) => c.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as Promise<string>));
    const holder = cluster.nodes[lists.findIndex((list) => list.trim() !== '')]!.port;
    // a session whose keys live on another master than the frozen node, so A can still sign it out
    const slots = (await admins[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const masterOf = (slot: number): number => slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
    let s = first;
    for (let i = 0; ; i++) {
      const slot = (await admins[0]!.call('CLUSTER', 'KEYSLOT', `latchkey:{${s.session.id.slice(0, 3)}}:s:${s.session.id}`)) as number;
      if (masterOf(slot) !== holder) break;
      s = await a.signIn({ userId: `frozen-node-${i}` });
    }
    expect(await either(b, s)).toBe('ok');
    expect(await either(b, s)).toBe('ok'); // cached (token and cookie)
    const frozen = cluster.servers.find((x) => x.port === holder)!;
    frozen.pause();
    let window: number;
    let code: string;
    try {
      await a.signOut(s.session.id);
      const started = performance.now();
      while ((code = await either(b, s)) === 'ok' && performance.now() - started < 5000) await sleep(10);
      window = performance.now() - started;
    } finally {
      frozen.resume();
    }
    console.log(`Cluster, subscriber's node frozen: revoked token or cookie accepted for ${window.toFixed(0)} ms, then ${code} (bound ${MAX_DELAY} ms)`);
    // Refused within the bound: 401, or 503 when ioredis sends the read through a slot refresh that waits on
    // the frozen node (fail closed, seen once in five full runs under load). Either way it is never accepted.
    expect(['session_invalid', 'store_unavailable']).toContain(code);
    expect(window).toBeLessThan(MAX_DELAY + 400);
    // and the refusal is the revocation itself, not only the outage: once the node is back, B says session_invalid
    let after = await codeOf(b.authenticate(bearer(s.accessToken)));
    for (const until = Date.now() + 3000; after === 'store_unavailable' && Date.now() < until; await sleep(50)) after = await codeOf(b.authenticate(bearer(s.accessToken)));
    expect(after).toBe('session_invalid');
    expect(await codeOf(b.authenticate(cookie(b, s.sessionToken)))).toBe('session_invalid');
    await Promise.all([a.close(), b.close(), storeB.close()]);
  });

  it('client.quit() alone lets a process with a subscribed store on the Cluster exit', async () => {
    const { exit, output, ms } = await runToExit('test/stores/fixtures/quit-exits.ts', cluster.nodes.map((n) => n.port));
    expect({ exit, output }).toMatchObject({ exit: 0 });
    expect(output).toContain('subscribed; quitting');
    console.log(`Cluster client.quit(): the process exited ${ms} ms after start`);
  });

  it('one master killed under load: 503s only during failover, 0 acknowledged sign-ins lost, 0 false theft alarms', async () => {
    const events: AuthEvent[] = [];
    const instances = [instance(redisStore({ client: clusterClient() }), false, events), instance(redisStore({ client: clusterClient() }), false, events)];
    const acknowledged: SignInResult<true>[] = [];
    const tokens = new Map<string, string>();
    let unavailable = 0;
    let other = 0;
    let stop = false;
    let n = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stop) {
        const auth = instances[n++ % 2]!;
        try {
          if (acknowledged.length < 20 || n % 3 !== 0) {
            const s = await auth.signIn({ userId: `load-${w}-${n}` });
            acknowledged.push(s);
            tokens.set(s.session.id, s.refreshToken);
          } else {
            const s = acknowledged[n % acknowledged.length]!;
            const next = await auth.refresh({ refreshToken: tokens.get(s.session.id)! });
            tokens.set(s.session.id, next.refreshToken);
          }
        } catch (error) {
          if (isAuthError(error) && error.code === 'store_unavailable') unavailable++;
          else other++;
          await sleep(20);
        }
        await sleep(10);
      }
    };
    const workers = Array.from({ length: 4 }, (_, w) => worker(w));
    await sleep(1000);
    const victim = cluster.servers.find((s) => cluster.isMaster(s.port))!;
    const killedAt = performance.now();
    await victim.kill();
    // failover is done when the victim's replica has been promoted: three masters answer again
    const promotedBy = Date.now() + 20_000;
    while (cluster.servers.filter((s) => s !== victim && cluster.isMaster(s.port)).length < 3) {
      if (Date.now() > promotedBy) throw new Error('no replica was promoted within 20 s');
      await sleep(100);
    }
    await cluster.waitOk(20_000);
    const recoveredAt = performance.now();
    await sleep(1500);
    stop = true;
    await Promise.all(workers);
    const lost: string[] = [];
    for (const s of acknowledged) {
      const code = await codeOf(instances[0]!.authenticate({ method: 'GET', headers: { cookie: `${instances[0]!.cookies.session}=${s.sessionToken}` } }));
      if (code !== 'ok') lost.push(`${code} ${clients.map((c) => c.status).join('/')}`);
    }
    const reused = events.filter((e) => e.type === 'refresh_reused');
    console.log(
      `Cluster failover: ${acknowledged.length} sign-ins acknowledged, ${lost.length} lost; ${unavailable} answers of 503, ${other} other errors; ` +
        `${reused.length} refresh_reused; cluster_state ok again ${((recoveredAt - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    expect(lost).toEqual([]);
    expect(reused).toEqual([]);
    expect(other).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(40);
    await Promise.all(instances.map((i) => i.close()));
  }, 60_000);
});
