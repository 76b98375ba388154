// The conformance cases of rule "per-user cap" (stores/rules/eviction.ts): evictions under the cap, refusal at it, and the session a create replaces.
import { EVICTION_CASES } from '../../stores/rules/eviction-cases.js';
import { pickEvictions } from '../../stores/rules/eviction.js';
import { HOUR, MINUTE, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function evictionCases(kit: StoreCaseKit): void {
  const { it, store, storeWith, record, created, shortLived, user, now, advance, shortTtl } = kit;

  it('create under maxPerUser: of 20 parallel sign-ins of one user at most the cap stay live, and the soonest to expire go first', async () => {
    const s = await store();
    const userId = user();
    const t = now();
    const old = [record(s, userId, { expiresAt: t + HOUR / 4, idleExpiresAt: t + HOUR / 4 }), record(s, userId, { expiresAt: t + HOUR / 2, idleExpiresAt: t + HOUR / 2 })];
    for (const r of old) await s.create(r);
    const fresh = Array.from({ length: 20 }, () => record(s, userId));
    const outcomes = await Promise.all(fresh.map((r) => s.create(r, { maxPerUser: 5, overLimit: 'evict' })));
    const live = await s.listByUser(userId);
    expect(live).toHaveLength(5);
    const evicted = outcomes.flatMap((o) => (o ? [...o.evicted] : []));
    if (outcomes.every((o) => o)) expect(new Set(evicted).size).toBe(17);
    for (const r of old) expect(await s.get(r.id)).toBeNull();
    expect(old.every((r) => evicted.includes(r.id)) || outcomes.some((o) => !o)).toBe(true);
    expect(live.every((r) => !evicted.includes(r.id))).toBe(true);
  });

  it("create under maxPerUser with overLimit 'refuse' writes nothing once the user is at the cap", async () => {
    const s = await store();
    const userId = user();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => s.create(record(s, userId), { maxPerUser: 3, overLimit: 'refuse' })));
    expect(outcomes.filter((o) => o && o.refused)).toHaveLength(17);
    expect(await s.listByUser(userId)).toHaveLength(3);
    expect(outcomes.every((o) => o && o.evicted.length === 0)).toBe(true);
  });

  it('create with replaces (stores with replaceOnCreate) ends that session in the same step and never counts it against the cap', async (ctx) => {
    const s = await storeWith(ctx, 'replaceOnCreate');
    if (!s) return;
    for (const overLimit of ['evict', 'refuse'] as const) {
      const userId = user();
      const [phone, laptop] = [record(s, userId), record(s, userId)];
      for (const r of [phone, laptop]) await s.create(r);
      const elevated = record(s, userId, { data: { elevated: true } });
      expect(await s.create(elevated, { maxPerUser: 2, overLimit, replaces: laptop.id })).toEqual({ evicted: [], refused: false, replaced: true });
      expect(await s.get(laptop.id)).toBeNull();
      expect((await s.get(elevated.id))?.data).toEqual({ elevated: true });
      expect((await s.listByUser(userId)).map((r) => r.id).sort()).toEqual([phone.id, elevated.id].sort());
      // without a cap too
      const again = record(s, userId);
      expect(await s.create(again, { replaces: elevated.id })).toMatchObject({ evicted: [], refused: false, replaced: true });
      expect((await s.listByUser(userId)).map((r) => r.id).sort()).toEqual([phone.id, again.id].sort());
    }
  });

  it('create with replaces (stores with replaceOnCreate) writes nothing when that session is gone, expired or another user\'s', async (ctx) => {
    const s = await storeWith(ctx, 'replaceOnCreate');
    if (!s) return;
    const userId = user();
    const gone = await created(s, userId);
    await s.delete(gone.id);
    const expiring = shortLived(s, userId);
    await s.create(expiring);
    const theirs = await created(s, user());
    await advance(shortTtl + 50);
    for (const replaces of [gone.id, expiring.id, theirs.id]) {
      const r = record(s, userId);
      const outcome = await s.create(r, { maxPerUser: 5, replaces });
      expect(outcome).toMatchObject({ evicted: [], replaced: false });
      expect(await s.get(r.id)).toBeNull();
    }
    expect((await s.get(theirs.id))?.id).toBe(theirs.id);
    expect(await s.listByUser(userId)).toEqual([]);
  });

  it('create with replaces (stores with replaceOnCreate): of 20 parallel creates replacing one session exactly one stands, and the cap holds', async (ctx) => {
    const s = await storeWith(ctx, 'replaceOnCreate');
    if (!s) return;
    const userId = user();
    const others = [record(s, userId), record(s, userId)];
    const old = record(s, userId);
    for (const r of [...others, old]) await s.create(r);
    const fresh = Array.from({ length: 20 }, () => record(s, userId));
    const outcomes = await Promise.all(fresh.map((r) => s.create(r, { maxPerUser: 3, overLimit: 'refuse', replaces: old.id })));
    expect(outcomes.filter((o) => o?.replaced === true)).toHaveLength(1);
    const winner = fresh[outcomes.findIndex((o) => o?.replaced === true)]!;
    expect((await s.listByUser(userId)).map((r) => r.id).sort()).toEqual([...others.map((r) => r.id), winner.id].sort());
  });

  for (const c of EVICTION_CASES) {
    it(`per-user cap: ${c.name}`, async () => {
      const s = await store();
      const userId = user();
      const t = now();
      const ids = c.live.map(() => record(s, userId).id).sort();
      const live = c.live.map((l) => {
        const expiresAt = t + l.expiresIn * MINUTE;
        return { name: l.name, record: record(s, userId, { id: ids[l.idRank]!, createdAt: t - l.createdAgo * MINUTE, idleExpiresAt: expiresAt, expiresAt }) };
      });
      for (const { record: r } of live) await s.create(r);
      const nameOf = (id: string): string | undefined => live.find((l) => l.record.id === id)?.name;
      expect(pickEvictions(live.map((l) => l.record), c.maxPerUser).map((r) => nameOf(r.id))).toEqual(c.evicted);
      const outcome = await s.create(record(s, userId), { maxPerUser: c.maxPerUser, overLimit: 'evict' });
      if (outcome) expect(outcome.evicted.map(nameOf).sort()).toEqual([...c.evicted].sort());
      const left = new Set((await s.listByUser(userId)).map((r) => nameOf(r.id)));
      for (const l of live) expect(left.has(l.name)).toBe(!c.evicted.includes(l.name));
    });
  }
}
