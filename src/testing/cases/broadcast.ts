// The conformance cases of the broadcast (stores with `subscribe`): revocations, replacements and changes reach
// subscribers, and the lag is confirmed.
import type { SessionStore } from '../../stores/contract.js';
import { sleep, type StoreCaseKit, type StoreWith } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function broadcastCases(kit: StoreCaseKit): void {
  const { it, storeWith, record, created, user, untilLive } = kit;

  /** What a subscriber heard, by kind, once its subscription is live. */
  async function listen(s: StoreWith<'subscribe'>, userId: string): Promise<{ revoked: Set<string>; changed: Set<string>; users: Set<string>; stop(): void }> {
    const heard = { revoked: new Set<string>(), changed: new Set<string>(), users: new Set<string>() };
    const stop = s.subscribe((message) => {
      for (const id of message?.revoked ?? []) heard.revoked.add(id);
      for (const id of message?.changed ?? []) heard.changed.add(id);
      for (const u of message?.users ?? []) heard.users.add(u);
    });
    try {
      await untilLive(s, userId, heard.revoked);
    } catch (error) {
      stop();
      throw error;
    }
    return { ...heard, stop };
  }

  type Heard = Awaited<ReturnType<typeof listen>>;

  /** A fresh store with `methods` (else the case is skipped), a new user, and a live subscription around `body`. */
  async function listening<K extends keyof SessionStore>(ctx: { skip(): void }, methods: K[], body: (s: StoreWith<'subscribe' | K>, userId: string, heard: Heard) => Promise<void>): Promise<void> {
    const s = await storeWith<'subscribe' | K>(ctx, 'subscribe', ...methods);
    if (!s) return;
    const userId = user();
    const heard = await listen(s as StoreWith<'subscribe'>, userId);
    try {
      await body(s, userId, heard);
    } finally {
      heard.stop();
    }
  }

  /** Waits up to a second for `done`. */
  async function withinASecond(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 1000;
    while (!done() && Date.now() < deadline) await sleep(10);
  }

  it('revocations reach subscribers within a second (stores that broadcast)', (ctx) =>
    listening(ctx, [], async (s, userId, heard) => {
      const one = record(s, userId);
      const many = [record(s, userId), record(s, userId)];
      for (const r of [one, ...many]) await s.create(r);
      await s.delete(one.id);
      await s.deleteByUser(userId);
      await withinASecond(() => [one, ...many].every((r) => heard.revoked.has(r.id)));
      expect([one, ...many].filter((r) => !heard.revoked.has(r.id))).toEqual([]);
    }),
  );

  it('a replaced session reaches subscribers as revoked (stores with replaceOnCreate that broadcast)', (ctx) =>
    listening(ctx, ['replaceOnCreate'], async (s, userId, heard) => {
      const old = await created(s, userId);
      await s.create(record(s, userId), { maxPerUser: 1, replaces: old.id });
      await withinASecond(() => heard.revoked.has(old.id));
      expect(heard.revoked.has(old.id)).toBe(true);
    }),
  );

  it('updates reach subscribers as changed, and the sessions deleteByUser ends as revoked (stores that broadcast)', (ctx) =>
    listening(ctx, [], async (s, userId, heard) => {
      const r = await created(s, userId);
      expect(await s.update({ ...r, version: 2, data: { role: 'user' } }, 1)).toBe(true);
      await withinASecond(() => heard.changed.has(r.id));
      expect(heard.changed.has(r.id)).toBe(true);
      await s.deleteByUser(userId);
      await withinASecond(() => heard.revoked.has(r.id));
      expect(heard.revoked.has(r.id)).toBe(true);
      // naming the user (`users`) is optional: a store that can hold sessions it cannot name (Redis under eviction) does
      for (const named of heard.users) expect(named).toBe(userId);
    }),
  );

  it('broadcastLag (stores that report it) is small while subscribed and Infinity once the last listener left', async (ctx) => {
    const s = await storeWith(ctx, 'subscribe', 'broadcastLag');
    if (!s) return;
    expect(s.broadcastLag()).toBe(Infinity);
    const first = s.subscribe(() => {});
    const second = s.subscribe(() => {});
    try {
      const deadline = Date.now() + 5000;
      while (s.broadcastLag() > 1000 && Date.now() < deadline) await sleep(20);
      expect(s.broadcastLag()).toBeLessThanOrEqual(1000);
      // a heartbeat keeps confirming it: the lag stays bounded over time
      await sleep(1200);
      expect(s.broadcastLag()).toBeLessThanOrEqual(1000);
      first();
      expect(s.broadcastLag()).toBeLessThanOrEqual(1000);
    } finally {
      first();
      second();
    }
    expect(s.broadcastLag()).toBe(Infinity);
  });
}
