// createVerifier({ store }): tokens of revoked sessions refused, with the rule of accessToken.checkSession: a
// broadcast revocation at once, a cached live answer only while the channel is confirmed within
// maxRevocationDelay, a store read otherwise (503 when the store is down: fail closed), and never a write.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore, type SessionStore } from '../../src/entries/index.js';
import type { StoreBroadcast } from '../../src/entries/store.js';
import { redisStore, type RedisStore } from '../../src/entries/redis.js';
import { createVerifier, type RevocationStore } from '../../src/entries/verify.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { AUDIENCE, ISSUER, MINUTE, clock, codeOf, issuer } from './support.js';

/** The store as the verifier sees it, recording every method it calls. */
function recorded<S extends object>(store: S): { store: S; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls.push(name);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** A memory store with a broadcast the test drives: `send` delivers a message, `lag` is what broadcastLag answers. */
function broadcasting(base: SessionStore): RevocationStore & { send(message: StoreBroadcast | null): void; lag: number; failing: boolean } {
  const listeners = new Set<(message: StoreBroadcast | null) => void>();
  const store = {
    lag: 0,
    failing: false,
    get: (id: string) => (store.failing ? Promise.reject(new Error('ECONNREFUSED')) : base.get(id)),
    subscribe(listener: (message: StoreBroadcast | null) => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    broadcastLag: () => store.lag,
    send: (message: StoreBroadcast | null) => listeners.forEach((listener) => listener(message)),
  };
  return store;
}

describe('with the memory store (no broadcast: every check reads the store)', () => {
  it('refuses a token at once after sign-out, and one whose session idled out, and never writes', async () => {
    const time = clock();
    const base = memoryStore({ now: time.now });
    const iss = await issuer({ clock: time, store: base, session: { idleTimeout: '10m', touchEvery: '1m' } });
    const { store, calls } = recorded(base);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], store, now: time.now });
    const a = await iss.auth.signIn({ userId: 'a' });
    const b = await iss.auth.signIn({ userId: 'b' });
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(calls.filter((c) => c === 'get')).toHaveLength(2); // no broadcast to trust: a read each time
    expect(verifier.revocationLag()).toBeNull();
    await iss.auth.signOut(a.session.id);
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('session_invalid');
    expect(await codeOf(verifier.verifyToken(b.accessToken))).toBe('ok');
    time.advance(11 * MINUTE); // b's 15-minute token is still valid, its session idled out after 10
    expect(await codeOf(verifier.verifyToken(b.accessToken))).toMatch(/^session_(expired|invalid)$/);
    expect(new Set(calls)).toEqual(new Set(['get']));
    await iss.auth.close();
  });
});

describe('with a broadcasting store, channel confirmed or silent', () => {
  it('answers from its cache while the channel is confirmed, refuses a broadcast revocation at once, and reads again once the channel falls silent', async () => {
    const time = clock();
    const base = memoryStore({ now: time.now });
    const iss = await issuer({ clock: time, store: base });
    const channel = broadcasting(base);
    const { store, calls } = recorded(channel);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], store, maxRevocationDelay: '2s', recheckEvery: '1m', now: time.now });
    const reads = (): number => calls.filter((c) => c === 'get').length;
    const a = await iss.auth.signIn({ userId: 'a' });
    const b = await iss.auth.signIn({ userId: 'b' });

    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(reads()).toBe(1); // the second answer came from the cache
    expect(verifier.revocationLag()).toBe(0);

    channel.send({ revoked: [a.session.id], changed: [] });
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('session_invalid');
    expect(reads()).toBe(1); // refused without I/O

    // a revocation the channel never delivered: trusted while confirmed, caught as soon as the channel is silent past the bound
    expect(await codeOf(verifier.verifyToken(b.accessToken))).toBe('ok');
    await base.delete(b.session.id);
    expect(await codeOf(verifier.verifyToken(b.accessToken))).toBe('ok');
    channel.lag = 2001;
    expect(await codeOf(verifier.verifyToken(b.accessToken))).toBe('session_invalid');

    // silent channel and a failing store: fail closed
    const c = await iss.auth.signIn({ userId: 'c' });
    channel.failing = true;
    const error = await verifier.verifyToken(c.accessToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
    channel.failing = false;
    expect(await codeOf(verifier.verifyToken(c.accessToken))).toBe('ok');

    // confirmed again: cached for recheckEvery; `null` (messages may be lost) and a user's sign-out everywhere drop it
    channel.lag = 0;
    const before = reads();
    expect(await codeOf(verifier.verifyToken(c.accessToken))).toBe('ok');
    expect(await codeOf(verifier.verifyToken(c.accessToken))).toBe('ok');
    expect(reads()).toBe(before + 1);
    channel.send(null);
    expect(await codeOf(verifier.verifyToken(c.accessToken))).toBe('ok');
    expect(reads()).toBe(before + 2);
    await base.deleteByUser('c');
    channel.send({ revoked: [], changed: [], users: ['c'] });
    expect(await codeOf(verifier.verifyToken(c.accessToken))).toBe('session_invalid');
    time.advance(2 * MINUTE);
    expect(new Set(calls)).toEqual(new Set(['subscribe', 'broadcastLag', 'get']));
    verifier.close();
    expect(verifier.revocationLag()).toBeNull();
    await iss.auth.close();
  });

  it('a store whose subscribe throws is never trusted: every check reads it, and a deletion is refused at once', async () => {
    const time = clock();
    const base = memoryStore({ now: time.now });
    const iss = await issuer({ clock: time, store: base });
    const channel = broadcasting(base);
    channel.subscribe = () => {
      throw new Error('SUBSCRIBE not allowed');
    };
    const { store, calls } = recorded(channel);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: [iss.key], store, maxRevocationDelay: '2s', recheckEvery: '1m', now: time.now });
    const a = await iss.auth.signIn({ userId: 'a' });
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
    expect(calls.filter((c) => c === 'get')).toHaveLength(2); // no channel behind it: a read each time
    expect(verifier.revocationLag()).toBeNull();
    await base.delete(a.session.id); // nobody tells the verifier
    expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('session_invalid');
    verifier.close();
    await iss.auth.close();
  });
});

describe.skipIf(!redisAvailable)('with a real Redis shared with the issuer', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * n, 200) });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await server?.stop();
  });

  /** Waits (polling, real time: a message crossing a real server) until `condition` holds. */
  async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('a sign-out on the issuer reaches the verifier through the broadcast; a frozen server fails closed', async () => {
    const real = { now: () => Date.now(), advance: () => {} };
    const issuerStore = redisStore({ client: client(), heartbeat: '100ms' });
    const iss = await issuer({ clock: real, store: issuerStore });
    const verifierStore: RedisStore = redisStore({ client: client(), heartbeat: '100ms', commandTimeout: '300ms' });
    const { store, calls } = recorded(verifierStore);
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: await iss.auth.jwks(), store, maxRevocationDelay: '500ms' });
    const reads = (): number => calls.filter((c) => c === 'get').length;
    try {
      const a = await iss.auth.signIn({ userId: 'a' });
      expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
      await until(() => (verifier.revocationLag() ?? Infinity) <= 500, 5000, 'the channel to be confirmed');
      expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
      const readsBefore = reads();
      expect(await codeOf(verifier.verifyToken(a.accessToken))).toBe('ok');
      expect(reads()).toBe(readsBefore); // cached while confirmed

      await iss.auth.signOut(a.session.id);
      await until(async () => (await codeOf(verifier.verifyToken(a.accessToken))) === 'session_invalid', 2000, 'the revocation to arrive');
      expect(reads()).toBe(readsBefore); // refused through the broadcast, not a read

      const b = await iss.auth.signIn({ userId: 'b' });
      server.pause();
      try {
        await until(() => (verifier.revocationLag() ?? 0) > 500, 5000, 'the channel to fall silent');
        const error = await verifier.verifyToken(b.accessToken).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'store_unavailable', status: 503 });
      } finally {
        server.resume();
      }
      expect(new Set(calls)).toEqual(new Set(['subscribe', 'broadcastLag', 'get']));
    } finally {
      verifier.close();
      await verifierStore.close();
      await iss.auth.close();
      await issuerStore.close();
    }
  });
});
