// Revocation under faults, on a real Redis: a subscriber whose connection silently goes dead (a TCP proxy
// that stops forwarding), a SUBSCRIBE denied by ACL, a frozen server (SIGSTOP), updates that must reach the
// other instance, a store shared by two Auth objects, and the connections a store opens (or must not).
import { Redis, type RedisOptions } from 'ioredis';
import { createAuth, generateKey, type Auth, type SigningKey } from '../../src/entries/index.js';
import { redisStore, type RedisStore } from '../../src/entries/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from '../support/child.js';
import { startProxy } from '../support/proxy.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { codeOf, sleep } from '../support/outcome.js';

const ISSUER = 'https://api.example.com';
const AUDIENCE = 'web';
const MAX_DELAY = 1000;
const SLACK = 400; // timer and scheduling slack on a shared 2-core machine
const CLIENT: RedisOptions = { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 200) };

const bearer = (token: string): { method: string; headers: Record<string, string> } => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Milliseconds from now until `auth` refuses the bearer token (polling every 10 ms), and the code it gave. */
async function timeToRefusal(auth: Auth, token: string, ms: number): Promise<{ elapsed: number; code: string }> {
  const started = performance.now();
  for (;;) {
    const code = await codeOf(auth.authenticate(bearer(token)));
    const elapsed = performance.now() - started;
    if (code !== 'ok' || elapsed > ms) return { elapsed, code };
    await sleep(10);
  }
}

describe.skipIf(!redisAvailable)('revocation under faults (single node)', () => {
  let server: RedisServer;
  let key: SigningKey;
  const clients: Redis[] = [];

  function client(port = server.port, options: RedisOptions = {}): Redis {
    const c = new Redis(port, '127.0.0.1', { ...CLIENT, ...options });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }

  function instance(store: RedisStore, checkSession = true): Auth {
    return createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store, accessToken: { checkSession, maxRevocationDelay: `${MAX_DELAY}ms` } });
  }

  async function pubsubClients(): Promise<number> {
    const admin = client(server.port, { enableOfflineQueue: true });
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    return list.split('\n').filter((line) => line.trim() !== '').length;
  }

  beforeAll(async () => {
    server = await startRedis();
    key = await generateKey('EdDSA');
  });

  afterAll(async () => {
    server?.resume();
    for (const c of clients) c.disconnect();
    await server?.stop();
  });

  it('a black-holed subscriber (socket open, no data): a session revoked on another instance is refused within maxRevocationDelay', async () => {
    const proxy = await startProxy(server.port);
    try {
      const a = instance(redisStore({ client: client() }), false);
      const storeB = redisStore({ client: client(proxy.port), heartbeat: '200ms' });
      const b = instance(storeB);
      const s = await a.signIn({ userId: 'blackhole-1' });
      expect(await codeOf(b.authenticate(bearer(s.accessToken)))).toBe('ok');
      await until(() => storeB.broadcastLag() < 300, 5000, 'the subscription to be confirmed');
      expect(await codeOf(b.authenticate(bearer(s.accessToken)))).toBe('ok'); // cached now
      expect(proxy.blackholeSubscribers()).toBe(1);
      await a.signOut(s.session.id);
      const { elapsed, code } = await timeToRefusal(b, s.accessToken, 10_000);
      console.log(`black-holed subscriber: revoked token refused after ${elapsed.toFixed(0)} ms (maxRevocationDelay ${MAX_DELAY} ms)`);
      expect(code).toBe('session_invalid');
      expect(elapsed).toBeLessThan(MAX_DELAY + SLACK);
      // B keeps serving from Redis itself: its main connection is fine
      const other = await a.signIn({ userId: 'blackhole-2' });
      expect(await codeOf(b.authenticate(bearer(other.accessToken)))).toBe('ok');
      expect(storeB.broadcastLag()).toBeGreaterThan(MAX_DELAY);
      await Promise.all([a.close(), b.close(), storeB.close()]);
    } finally {
      await proxy.close();
    }
  });

  it('a SUBSCRIBE denied by ACL is never "up": the other instance refuses a revoked token at once, and says why', async () => {
    const admin = client(server.port, { enableOfflineQueue: true });
    await admin.call('ACL', 'SETUSER', 'nosub', 'on', '>nosub-pass', '~*', '&*', '+@all', '-subscribe');
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const a = instance(redisStore({ client: client() }), false);
      const storeB = redisStore({ client: client(server.port, { username: 'nosub', password: 'nosub-pass' }), heartbeat: '200ms' });
      const b = instance(storeB);
      const s = await a.signIn({ userId: 'acl-1' });
      expect(await codeOf(b.authenticate(bearer(s.accessToken)))).toBe('ok');
      await until(() => warnings.some((w) => (w as { code?: string }).code === 'LATCHKEY_REDIS_SUBSCRIBE'), 5000, 'the subscribe warning');
      expect(warnings.find((w) => (w as { code?: string }).code === 'LATCHKEY_REDIS_SUBSCRIBE')?.message).toMatch(/NOPERM/);
      expect(storeB.broadcastLag()).toBe(Infinity);
      await a.signOut(s.session.id);
      expect(await codeOf(b.authenticate(bearer(s.accessToken)))).toBe('session_invalid');
      await Promise.all([a.close(), b.close(), storeB.close()]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a frozen Redis (SIGSTOP): bearer checks answer 503 once maxRevocationDelay has passed, never from the cache after it', async () => {
    const store = redisStore({ client: client(), heartbeat: '200ms', commandTimeout: '300ms' });
    const auth = instance(store);
    const s = await auth.signIn({ userId: 'frozen-1' });
    expect(await codeOf(auth.authenticate(bearer(s.accessToken)))).toBe('ok');
    await until(() => store.broadcastLag() < 300, 5000, 'the subscription to be confirmed');
    expect(await codeOf(auth.authenticate(bearer(s.accessToken)))).toBe('ok'); // cached now
    server.pause();
    const started = performance.now();
    const answers: { at: number; code: string }[] = [];
    try {
      while (performance.now() - started < MAX_DELAY + 1500) {
        answers.push({ code: await codeOf(auth.authenticate(bearer(s.accessToken))), at: performance.now() - started });
        await sleep(20);
      }
    } finally {
      server.resume();
    }
    const first = answers.findIndex((x) => x.code !== 'ok');
    console.log(`frozen Redis: cached answers for ${answers[first]?.at.toFixed(0)} ms, then ${answers[first]?.code} (bound ${MAX_DELAY} ms + commandTimeout 300 ms)`);
    expect(first).toBeGreaterThan(0); // the cache did answer while the broadcast was confirmed
    expect(answers[first - 1]!.at).toBeLessThan(MAX_DELAY + SLACK);
    expect(answers[first]!.code).toBe('store_unavailable');
    expect(answers[first]!.at).toBeLessThan(MAX_DELAY + 300 + SLACK);
    expect(answers.slice(first).every((x) => x.code === 'store_unavailable')).toBe(true);
    await until(async () => (await codeOf(auth.authenticate(bearer(s.accessToken)))) === 'ok', 5000, 'recovery');
    await Promise.all([auth.close(), store.close()]);
  });

  it('an update on one instance reaches the other instance\'s bearer checks at once (changed is broadcast)', async () => {
    const a = instance(redisStore({ client: client() }), false);
    const storeB = redisStore({ client: client() });
    const b = instance(storeB);
    const s = await a.signIn({ userId: 'update-1', data: { role: 'admin' } });
    expect((await b.authenticate(bearer(s.accessToken)))?.data).toEqual({ role: 'admin' });
    await until(() => storeB.broadcastLag() < 600, 5000, 'the subscription to be confirmed');
    expect((await b.authenticate(bearer(s.accessToken)))?.data).toEqual({ role: 'admin' });
    await a.sessions.update(s.session.id, { role: 'user' });
    const started = performance.now();
    await until(async () => (await b.authenticate(bearer(s.accessToken)))?.data?.role === 'user', MAX_DELAY + SLACK, 'the update on B');
    console.log(`update seen on the other instance after ${(performance.now() - started).toFixed(0)} ms`);
    await Promise.all([a.close(), b.close(), storeB.close()]);
  });

  it('two Auth on one store: closing one leaves the other listening, and the last listener closes the connection', async () => {
    const signer = instance(redisStore({ client: client() }), false);
    const shared = redisStore({ client: client(), heartbeat: '200ms' });
    const a = instance(shared);
    const b = instance(shared);
    const s1 = await signer.signIn({ userId: 'shared-store-1' });
    const s2 = await signer.signIn({ userId: 'shared-store-2' });
    expect(await codeOf(a.authenticate(bearer(s1.accessToken)))).toBe('ok');
    expect(await codeOf(b.authenticate(bearer(s2.accessToken)))).toBe('ok');
    await until(() => shared.broadcastLag() < 300, 5000, 'the subscription to be confirmed');
    expect(await codeOf(b.authenticate(bearer(s2.accessToken)))).toBe('ok');
    await a.close();
    expect(shared.broadcastLag()).toBeLessThan(MAX_DELAY);
    await signer.signOut(s2.session.id);
    const { elapsed, code } = await timeToRefusal(b, s2.accessToken, MAX_DELAY + SLACK);
    expect(code).toBe('session_invalid');
    expect(elapsed).toBeLessThan(100);
    await b.close();
    expect(shared.broadcastLag()).toBe(Infinity);
    await signer.close();
  });

  it('no subscriber connection unless a cache needs one (session.cache off and checkSession off), and one opened at the first cookie check otherwise', async () => {
    const before = await pubsubClients();
    const cookieOnly = createAuth({ store: redisStore({ client: client() }), session: { cache: false } });
    const tokens = createAuth({ keys: [key], issuer: ISSUER, audience: AUDIENCE, store: redisStore({ client: client() }), session: { cache: false } });
    const c = await cookieOnly.signIn({ userId: 'nosub-1' });
    const t = await tokens.signIn({ userId: 'nosub-2' });
    expect(await codeOf(cookieOnly.authenticate({ method: 'GET', headers: { cookie: `${cookieOnly.cookies.session}=${c.sessionToken}` } }))).toBe('ok');
    expect(await codeOf(tokens.authenticate(bearer(t.accessToken)))).toBe('ok');
    expect(await codeOf(tokens.authenticate({ method: 'GET', headers: { cookie: `${tokens.cookies.session}=${t.sessionToken}` } }))).toBe('ok');
    await sleep(200);
    expect(await pubsubClients()).toBe(before);
    // the default (session cache on): nothing at createAuth or sign-in, one subscriber at the first cookie check
    const cached = createAuth({ store: redisStore({ client: client() }) });
    const d = await cached.signIn({ userId: 'nosub-3' });
    await sleep(200);
    expect(await pubsubClients()).toBe(before);
    expect(await codeOf(cached.authenticate({ method: 'GET', headers: { cookie: `${cached.cookies.session}=${d.sessionToken}` } }))).toBe('ok');
    await until(async () => (await pubsubClients()) === before + 1, 5000, 'the subscriber');
    await cached.close();
    await until(async () => (await pubsubClients()) === before, 5000, 'the subscriber to close');
    const checking = instance(redisStore({ client: client() }));
    expect(await codeOf(checking.authenticate(bearer(t.accessToken)))).toBe('ok');
    await until(async () => (await pubsubClients()) === before + 1, 5000, 'the subscriber');
    await checking.close();
    await until(async () => (await pubsubClients()) === before, 5000, 'the subscriber to close');
    await Promise.all([cookieOnly.close(), tokens.close()]);
  });

  it('createAuth right after new Redis() with the offline queue off waits for the first connection instead of 503', async () => {
    const fresh = client(server.port, { enableOfflineQueue: false });
    expect(fresh.status).not.toBe('ready');
    const auth = createAuth({ store: redisStore({ client: fresh }) });
    const s = await auth.signIn({ userId: 'early-1' });
    expect(s.session.userId).toBe('early-1');
    const lazy = client(server.port, { enableOfflineQueue: false, lazyConnect: true });
    const lazyAuth = createAuth({ store: redisStore({ client: lazy }) });
    expect((await lazyAuth.signIn({ userId: 'early-2' })).session.userId).toBe('early-2');
  });

  it('fifty requests that arrive before the first connection share one wait: no MaxListenersExceededWarning, all served', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const lazy = client(server.port, { enableOfflineQueue: false, lazyConnect: true });
      const auth = createAuth({ store: redisStore({ client: lazy }) });
      const pending = Array.from({ length: 50 }, (_, i) => auth.signIn({ userId: `boot-${i}` }));
      expect(lazy.listenerCount('ready')).toBeLessThanOrEqual(2);
      const signedIn = await Promise.all(pending);
      expect(signedIn.map((s) => s.session.userId)).toEqual(Array.from({ length: 50 }, (_, i) => `boot-${i}`));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a store_unavailable cause names the error and the command, never its arguments (a write to a read-only replica)', async () => {
    const admin = client(server.port, { enableOfflineQueue: true });
    const auth = createAuth({ store: redisStore({ client: client() }) });
    await auth.signIn({ userId: 'ro-0' }); // connected
    await admin.call('REPLICAOF', '127.0.0.1', '1');
    try {
      const error = await auth.signIn({ userId: 'ro-1', data: { ssn: '078-05-1120' } }).then(() => null, (e: unknown) => e);
      expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
      const cause = (error as { cause: Error & { command?: unknown } }).cause;
      expect(cause.message).toMatch(/READONLY/);
      expect(cause.command).toEqual({ name: 'evalsha' });
      const everything = JSON.stringify(cause, Object.getOwnPropertyNames(cause)) + String(cause.stack);
      expect(everything).not.toMatch(/078-05-1120|secretHash|ro-1/);
    } finally {
      await admin.call('REPLICAOF', 'NO', 'ONE');
    }
  });

  it('client.quit() alone lets a process with a subscribed store exit', async () => {
    const { exit, output, ms } = await runToExit('test/stores/fixtures/quit-exits.ts', [server.port]);
    expect({ exit, output }).toMatchObject({ exit: 0 });
    expect(output).toContain('subscribed; quitting');
    console.log(`client.quit(): the process exited ${ms} ms after start`);
  });
});
