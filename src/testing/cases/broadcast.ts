// The conformance cases of the broadcast (stores with `subscribe`): revocations, replacements and changes reach subscribers, and the lag is confirmed.
import { sleep, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function broadcastCases(kit: StoreCaseKit): void {
  const { it, store, record, user, untilLive } = kit;

  it('revocations reach subscribers within a second (stores that broadcast)', async (ctx) => {
    const s = await store();
    if (!s.subscribe) {
      ctx.skip();
      return;
    }
    const userId = user();
    const seen = new Set<string>();
    const unsubscribe = s.subscribe((message) => {
      for (const id of message?.revoked ?? []) seen.add(id);
    });
    try {
      await untilLive(s, userId, seen);
      const one = record(s, userId);
      const many = [record(s, userId), record(s, userId)];
      for (const r of [one, ...many]) await s.create(r);
      await s.delete(one.id);
      await s.deleteByUser(userId);
      const deadline = Date.now() + 1000;
      while (![one, ...many].every((r) => seen.has(r.id)) && Date.now() < deadline) await sleep(10);
      expect([one, ...many].filter((r) => !seen.has(r.id))).toEqual([]);
    } finally {
      unsubscribe();
    }
  });

  it('a replaced session reaches subscribers as revoked (stores with replaceOnCreate that broadcast)', async (ctx) => {
    const s = await store();
    if (!s.replaceOnCreate || !s.subscribe) {
      ctx.skip();
      return;
    }
    const userId = user();
    const seen = new Set<string>();
    const unsubscribe = s.subscribe((message) => {
      for (const id of message?.revoked ?? []) seen.add(id);
    });
    try {
      await untilLive(s, userId, seen);
      const old = record(s, userId);
      await s.create(old);
      await s.create(record(s, userId), { maxPerUser: 1, replaces: old.id });
      const deadline = Date.now() + 1000;
      while (!seen.has(old.id) && Date.now() < deadline) await sleep(10);
      expect(seen.has(old.id)).toBe(true);
    } finally {
      unsubscribe();
    }
  });

  it('updates reach subscribers as changed, and deleteByUser names the user (stores that broadcast)', async (ctx) => {
    const s = await store();
    if (!s.subscribe) {
      ctx.skip();
      return;
    }
    const userId = user();
    const changed = new Set<string>();
    const revoked = new Set<string>();
    const users = new Set<string>();
    const unsubscribe = s.subscribe((message) => {
      for (const id of message?.changed ?? []) changed.add(id);
      for (const id of message?.revoked ?? []) revoked.add(id);
      for (const u of message?.users ?? []) users.add(u);
    });
    try {
      await untilLive(s, userId, revoked);
      const r = record(s, userId);
      await s.create(r);
      expect(await s.update({ ...r, version: 2, data: { role: 'user' } }, 1)).toBe(true);
      const deadline = Date.now() + 1000;
      while (!changed.has(r.id) && Date.now() < deadline) await sleep(10);
      expect(changed.has(r.id)).toBe(true);
      await s.deleteByUser(userId);
      const usersBy = Date.now() + 1000;
      while (!revoked.has(r.id) && Date.now() < usersBy) await sleep(10);
      expect(revoked.has(r.id)).toBe(true);
    } finally {
      unsubscribe();
    }
  });

  it('broadcastLag (stores that report it) is small while subscribed and Infinity once the last listener left', async (ctx) => {
    const s = await store();
    if (!s.subscribe || !s.broadcastLag) {
      ctx.skip();
      return;
    }
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
