import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createAuth, memoryStore, type SessionRecord } from '../../src/entries/index.js';
import { MINUTE, testClock, T0 } from '../support/core.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

let counter = 0;
function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter++;
  const id = `${String(counter).padStart(22, 'r')}`.slice(-22);
  return {
    id,
    userId: 'u1',
    version: 1,
    secretHash: 'h'.repeat(43),
    refresh: null,
    data: { n: counter },
    createdAt: T0 + counter,
    authTime: T0,
    lastSeenAt: T0,
    idleExpiresAt: T0 + 30 * MINUTE,
    absoluteExpiresAt: T0 + 60 * MINUTE,
    expiresAt: T0 + 30 * MINUTE,
    meta: {},
    ...overrides,
  };
}

describe('memoryStore', () => {
  it('stores serialised copies: mutating what was stored or read changes nothing', async () => {
    const clock = testClock();
    const store = memoryStore({ now: clock.now });
    const r = record();
    await store.create(r);
    (r.data as Record<string, unknown>).n = 'mutated';
    const read = (await store.get(r.id))!;
    expect(read.data).toEqual({ n: counter });
    (read.data as Record<string, unknown>).n = 'again';
    expect((await store.get(r.id))!.data).toEqual({ n: counter });
  });

  it('compare-and-set: of many concurrent updates from the same version exactly one wins', async () => {
    const store = memoryStore({ now: testClock().now });
    const r = record();
    await store.create(r);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.update({ ...r, version: 2, data: { writer: i } }, 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get(r.id)).toMatchObject({ version: 2, data: { writer: winner } });
    await expect(store.update({ ...r, version: 2 }, 1)).resolves.toBe(false);
  });

  it('update never moves activity backwards: a touch after the writer read the record survives', async () => {
    const store = memoryStore({ now: testClock().now });
    const r = record();
    await store.create(r);
    await store.touch(r.id, { lastSeenAt: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE, expiresAt: T0 + 31 * MINUTE });
    await expect(store.update({ ...r, version: 2, data: { changed: true } }, 1)).resolves.toBe(true);
    expect(await store.get(r.id)).toMatchObject({ version: 2, data: { changed: true }, lastSeenAt: T0 + MINUTE, expiresAt: T0 + 31 * MINUTE });
    await store.update({ ...r, version: 3, lastSeenAt: T0 + 2 * MINUTE, idleExpiresAt: T0 + 32 * MINUTE, expiresAt: T0 + 32 * MINUTE }, 2);
    expect(await store.get(r.id)).toMatchObject({ version: 3, lastSeenAt: T0 + 2 * MINUTE, expiresAt: T0 + 32 * MINUTE });
  });

  it('update never re-creates a deleted record', async () => {
    const store = memoryStore({ now: testClock().now });
    const r = record();
    await store.create(r);
    await store.delete(r.id);
    await expect(store.update({ ...r, version: 2 }, 1)).resolves.toBe(false);
    await expect(store.get(r.id)).resolves.toBeNull();
  });

  it('expired records are invisible to get, update, touch, delete and listByUser', async () => {
    const clock = testClock();
    const store = memoryStore({ now: clock.now });
    const r = record();
    await store.create(r);
    clock.set(r.expiresAt);
    await expect(store.get(r.id)).resolves.toBeNull();
    await expect(store.update({ ...r, version: 2 }, 1)).resolves.toBe(false);
    await store.touch(r.id, { lastSeenAt: clock.now(), idleExpiresAt: clock.now() + MINUTE, expiresAt: clock.now() + MINUTE });
    await expect(store.get(r.id)).resolves.toBeNull();
    await expect(store.listByUser('u1')).resolves.toEqual([]);
    await expect(store.delete(r.id)).resolves.toBe(false);
    await expect(store.deleteByUser('u1')).resolves.toBe(0);
  });

  it('touch moves activity and expiry forward only, never data or version', async () => {
    const clock = testClock();
    const store = memoryStore({ now: clock.now });
    const r = record();
    await store.create(r);
    await store.touch(r.id, { lastSeenAt: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE, expiresAt: T0 + 31 * MINUTE });
    expect(await store.get(r.id)).toMatchObject({ lastSeenAt: T0 + MINUTE, expiresAt: T0 + 31 * MINUTE, version: 1, data: r.data });
    await store.touch(r.id, { lastSeenAt: T0, idleExpiresAt: T0 + 5 * MINUTE, expiresAt: T0 + 5 * MINUTE }); // older: ignored
    expect(await store.get(r.id)).toMatchObject({ lastSeenAt: T0 + MINUTE });
    clock.set(T0 + 30 * MINUTE + 1); // past the original expiry, before the touched one
    await expect(store.get(r.id)).resolves.not.toBeNull();
    await store.touch('missing', { lastSeenAt: T0 + 2, idleExpiresAt: T0 + 3, expiresAt: T0 + 3 });
    await expect(store.get('missing')).resolves.toBeNull();
  });

  it('is bounded by maxEntries and drops the least recently used record first', async () => {
    const store = memoryStore({ now: testClock().now, maxEntries: 3 });
    const [a, b, c, d] = [record(), record(), record(), record()];
    await store.create(a);
    await store.create(b);
    await store.create(c);
    await store.get(a.id); // a is now more recent than b
    await store.create(d);
    expect(store.size).toBe(3);
    await expect(store.get(b.id)).resolves.toBeNull();
    for (const kept of [a, c, d]) await expect(store.get(kept.id)).resolves.not.toBeNull();
    await expect(store.listByUser('u1')).resolves.toHaveLength(3);
  });

  it('refuses a maxEntries that is not a positive whole number', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(/maxEntries must be a positive whole number/);
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow(/maxEntries/);
  });

  it('validates its options as createAuth does: unknown keys refused, sweepInterval a Duration above zero', () => {
    for (const bad of [0, -1, Number.NaN, Infinity, '0s', '1 minute', 'soon', '0.1ms', '30d']) {
      expect(() => memoryStore({ sweepInterval: bad as never }), String(bad)).toThrow(/^latchkey: memoryStore sweepInterval must be/);
    }
    expect(() => memoryStore({ sweepIntervall: '1m' } as never)).toThrow(/unknown option memoryStore\.sweepIntervall; expected one of maxEntries, sweepInterval, now/);
    expect(() => memoryStore({ now: 5 as never })).toThrow(/memoryStore now must be a function/);
    for (const good of ['1m', '500ms', 30, '1h']) expect(() => memoryStore({ sweepInterval: good as never }).close()).not.toThrow();
  });

  it("sweepInterval is read in the Duration form: '1m' sweeps once a minute, not every millisecond", async () => {
    const clock = testClock();
    const store = memoryStore({ now: clock.now, sweepInterval: '1m' });
    await store.create(record());
    clock.advance(60 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.size).toBe(1); // no sweep yet: 30 ms of real time is not a minute
    await store.close();
  });

  it('listByUser returns only that user, oldest first; deleteByUser honours except and returns the count', async () => {
    const store = memoryStore({ now: testClock().now });
    const first = record({ createdAt: T0 + 100 });
    const second = record({ createdAt: T0 + 50 });
    const third = record({ createdAt: T0 + 75 });
    const other = record({ userId: 'u2' });
    for (const r of [first, second, third, other]) await store.create(r);
    expect((await store.listByUser('u1')).map((r) => r.id)).toEqual([second.id, third.id, first.id]);
    await expect(store.deleteByUser('u1', { except: third.id })).resolves.toBe(2);
    expect((await store.listByUser('u1')).map((r) => r.id)).toEqual([third.id]);
    await expect(store.listByUser('u2')).resolves.toHaveLength(1);
    await expect(store.deleteByUser('nobody')).resolves.toBe(0);
  });

  it('delete removes the record and its user index entry; true only if it existed', async () => {
    const store = memoryStore({ now: testClock().now });
    const r = record();
    await store.create(r);
    await expect(store.delete(r.id)).resolves.toBe(true);
    await expect(store.delete(r.id)).resolves.toBe(false);
    await expect(store.listByUser('u1')).resolves.toEqual([]);
  });

  it('the sweeper forgets expired records without anyone reading them', async () => {
    const clock = testClock();
    const store = memoryStore({ now: clock.now, sweepInterval: '5ms' });
    await store.create(record());
    await store.create(record({ expiresAt: T0 + 120 * MINUTE }));
    clock.advance(60 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 30)); // real time for the real timer; the clock decides expiry
    expect(store.size).toBe(1);
    await store.close();
  });

  it('the sweeper timer never keeps a process alive', async () => {
    const script = [
      "const { memoryStore, createAuth } = await import('./src/entries/index.ts');",
      "const store = memoryStore({ sweepInterval: '1s' });",
      "const auth = createAuth();",
      "await auth.signIn({ userId: 'u1' });",
      "await store.create({ id: 'x'.repeat(22), userId: 'u', version: 1, secretHash: '', refresh: null, data: {}, createdAt: 0, authTime: 0, lastSeenAt: 0, idleExpiresAt: Date.now() + 1e6, absoluteExpiresAt: Date.now() + 1e6, expiresAt: Date.now() + 1e6, meta: {} });",
      "console.log('ready');",
    ].join('\n');
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | 'hung'>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 8000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode ?? -1);
      });
    });
    expect({ code, stdout: stdout.trim(), stderr }).toEqual({ code: 0, stdout: 'ready', stderr: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

describe('memoryStore: the per-request read', () => {
  const readShared = Symbol.for('latchkey.store.readShared');

  async function signedIn() {
    const clock = testClock();
    const store = memoryStore({ now: clock.now });
    let touches = 0;
    const touch = store.touch.bind(store);
    store.touch = async (id, activity) => {
      touches++;
      return touch(id, activity);
    };
    const auth = createAuth({ store, now: clock.now, session: { idleTimeout: '10m', touchEvery: '1m' } });
    const { sessionToken, session } = await auth.signIn({ userId: 'u1', data: { role: 'admin', tags: ['a'], nested: { n: 1 } } });
    const request = { method: 'GET', headers: { cookie: `${auth.cookies.session}=${sessionToken}` } };
    return { clock, store, auth, request, id: session.id, touches: () => touches };
  }

  it('authenticate gives the app data of its own: changing it changes neither the store nor the next request', async () => {
    const { store, auth, request, id } = await signedIn();
    const first = (await auth.authenticate(request))!;
    const data = first.data as { role: string; tags: string[]; nested: { n: number } };
    data.role = 'changed';
    data.tags.push('b');
    data.nested.n = 2;
    const expected = { role: 'admin', tags: ['a'], nested: { n: 1 } };
    expect((await auth.authenticate(request))!.data).toEqual(expected);
    expect((await store.get(id))!.data).toEqual(expected);
  });

  it('the record handed to a request is frozen, so no caller can change a stored session by mistake', async () => {
    const { store, id } = await signedIn();
    const shared = (store as unknown as Record<symbol, (id: string) => SessionRecord | null>)[readShared]!(id)!;
    expect(shared.userId).toBe('u1');
    expect(Object.isFrozen(shared) && Object.isFrozen(shared.data) && Object.isFrozen(shared.meta)).toBe(true);
    expect(() => {
      (shared.data as Record<string, unknown>).role = 'root';
    }).toThrow(TypeError);
    expect(() => {
      shared.expiresAt = Infinity;
    }).toThrow(TypeError);
    // get still hands out a mutable copy
    const copy = (await store.get(id))!;
    (copy.data as Record<string, unknown>).role = 'root';
    expect((await store.get(id))!.data).toMatchObject({ role: 'admin' });
  });

  it('inside touchEvery a cookie request writes nothing; after it, one touch keeps the session alive', async () => {
    const { clock, auth, request, touches } = await signedIn();
    for (let i = 0; i < 50; i++) {
      clock.advance(1000);
      await auth.authenticate(request);
    }
    expect(touches()).toBe(0);
    clock.advance(11 * 1000); // 61 s after sign-in
    await auth.authenticate(request);
    expect(touches()).toBe(1);
    clock.advance(9 * 60 * 1000 + 30 * 1000); // 9.5 min after the touch, 10.5 after sign-in
    await expect(auth.authenticate(request)).resolves.toMatchObject({ userId: 'u1' });
  });

  it('an idle-expired record is refused (401) on the per-request read and is gone from the store', async () => {
    const { clock, store, auth, request, id } = await signedIn();
    clock.advance(10 * 60 * 1000 + 1);
    await expect(auth.authenticate(request)).rejects.toMatchObject({ status: 401 });
    expect(await store.get(id)).toBeNull();
  });
});
