// The conformance cases of concurrent refresh steps: rotations through compare-and-set, the one-call `advanceRefresh`, and a refresh racing a sign-out (the step's own table is in refresh-step.ts).
import { DAY, HOUR, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function advanceRefreshCases(kit: StoreCaseKit): void {
  const { it, store, storeWith, record, created, user, now } = kit;

  it('concurrent rotations never hand out the same generation twice', async () => {
    const s = await store();
    const r = await created(s, user());
    const won: number[] = [];
    async function rotateOnce(): Promise<void> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const current = (await s.get(r.id))!;
        const generation = current.refresh!.generation + 1;
        const next = { ...current, version: current.version + 1, refresh: { ...current.refresh!, generation, rotatedAt: now() } };
        if (await s.update(next, current.version)) {
          won.push(generation);
          return;
        }
      }
      throw new Error('a rotation never got through');
    }
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 3; i++) await rotateOnce();
    }));
    expect([...won].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const final = await s.get(r.id);
    expect(final?.version).toBe(25);
    expect(final?.refresh?.generation).toBe(24);
  });

  it('advanceRefresh (stores that rotate in one call): of 20 parallel steps from one generation exactly one advances', async (ctx) => {
    const s = await storeWith(ctx, 'advanceRefresh');
    if (!s) return;
    const r = await created(s, user(), { data: { keep: ['me'] } });
    const t = Math.max(now(), r.lastSeenAt);
    const step = { from: 0, at: t + 1, refreshExpiresAt: t + 1 + HOUR, idleExpiresAt: t + 1 + HOUR };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => s.advanceRefresh!(r.id, step)));
    expect(outcomes.filter((o) => o?.advanced)).toHaveLength(1);
    for (const o of outcomes) expect(o?.record.refresh?.generation).toBe(1);
    const got = await s.get(r.id);
    expect(got?.refresh).toEqual({ generation: 1, previous: 0, rotatedAt: t + 1, expiresAt: t + 1 + HOUR });
    expect(got?.version).toBe(2);
    expect(got?.data).toEqual({ keep: ['me'] });
    expect(got?.lastSeenAt).toBe(t + 1);
    // the version moved: a writer holding the old version loses, one holding the new wins
    expect(await s.update({ ...r, version: 2 }, 1)).toBe(false);
    expect(await s.update({ ...got!, version: 3, data: { after: true } }, 2)).toBe(true);
    expect((await s.get(r.id))?.refresh?.generation).toBe(1);
  });

  it('advanceRefresh returns the stored record unadvanced for an old generation, and null for no record', async (ctx) => {
    const s = await storeWith(ctx, 'advanceRefresh');
    if (!s) return;
    const r = await created(s, user());
    const t = Math.max(now(), r.lastSeenAt);
    const step = (from: number) => ({ from, at: t + 1, refreshExpiresAt: t + HOUR, idleExpiresAt: t + HOUR });
    expect((await s.advanceRefresh(r.id, step(0)))?.advanced).toBe(true);
    const stale = await s.advanceRefresh(r.id, step(0));
    expect(stale?.advanced).toBe(false);
    expect(stale?.record.refresh?.generation).toBe(1);
    expect(stale?.record.refresh?.rotatedAt).toBe(t + 1);
    expect(await s.advanceRefresh(record(s, user()).id, step(0))).toBeNull();
    await s.delete(r.id);
    expect(await s.advanceRefresh(r.id, step(1))).toBeNull();
    expect(await s.get(r.id)).toBeNull();
  });

  it('advanceRefresh never advances past an expired refresh token and clamps new expiries to the absolute one', async (ctx) => {
    const s = await storeWith(ctx, 'advanceRefresh');
    if (!s) return;
    const t = now();
    const expired = await created(s, user(), { refresh: { generation: 3, rotatedAt: t - HOUR, expiresAt: t - 1 } });
    const refused = await s.advanceRefresh(expired.id, { from: 3, at: t, refreshExpiresAt: t + HOUR, idleExpiresAt: t + HOUR });
    expect(refused?.advanced).toBe(false);
    expect(refused?.record.refresh?.generation).toBe(3);
    const r = await created(s, user(), { absoluteExpiresAt: t + HOUR, idleExpiresAt: t + HOUR / 2, expiresAt: t + HOUR / 2 });
    const at = Math.max(now(), r.lastSeenAt) + 1;
    const moved = await s.advanceRefresh(r.id, { from: 0, at, refreshExpiresAt: at + DAY, idleExpiresAt: at + DAY });
    expect(moved?.advanced).toBe(true);
    expect(moved?.record.refresh?.expiresAt).toBe(t + HOUR);
    expect(moved?.record.idleExpiresAt).toBe(t + HOUR);
    expect(moved?.record.expiresAt).toBe(t + HOUR);
  });

  it("advanceRefresh measures idleness by the record's own idleTimeout and keeps the refresh family's firstGeneration", async (ctx) => {
    const s = await storeWith(ctx, 'advanceRefresh');
    if (!s) return;
    const t = now();
    // a session signed in with its own idle timeout, in a refresh family that reauthenticate started at 4
    const r = await created(s, user(), { idleTimeout: 2 * HOUR, refresh: { generation: 5, firstGeneration: 4, rotatedAt: t, expiresAt: t + DAY } });
    const at = Math.max(now(), r.lastSeenAt) + 1;
    const moved = await s.advanceRefresh(r.id, { from: 5, at, refreshExpiresAt: at + HOUR, idleExpiresAt: at + HOUR / 2 });
    expect(moved?.advanced).toBe(true);
    expect(moved?.record.idleExpiresAt).toBe(at + 2 * HOUR);
    expect(moved?.record.refresh).toEqual({ generation: 6, previous: 5, firstGeneration: 4, rotatedAt: at, expiresAt: at + HOUR });
    const got = await s.get(r.id);
    expect(got?.idleExpiresAt).toBe(at + 2 * HOUR);
    expect(got?.idleTimeout).toBe(2 * HOUR);
    expect(got?.refresh).toEqual({ generation: 6, previous: 5, firstGeneration: 4, rotatedAt: at, expiresAt: at + HOUR });
  });

  it('a refresh racing a sign-out never brings the session back', async () => {
    const s = await store();
    const userId = user();
    for (let round = 0; round < 20; round++) {
      const r = await created(s, userId);
      const t = Math.max(now(), r.lastSeenAt) + 1;
      const step = { from: 0, at: t, refreshExpiresAt: t + HOUR, idleExpiresAt: t + HOUR };
      const rotate = s.advanceRefresh
        ? s.advanceRefresh(r.id, step)
        : s.update({ ...r, version: 2, refresh: { generation: 1, rotatedAt: t, expiresAt: t + HOUR } }, 1);
      const [rotated, deleted] = round % 2 === 0 ? await Promise.all([rotate, s.delete(r.id)]) : (await Promise.all([s.delete(r.id), rotate])).reverse();
      expect(deleted).toBe(true);
      if (rotated && typeof rotated === 'object') expect(rotated.record.refresh?.generation).toBe(1);
      expect(await s.get(r.id)).toBeNull();
      if (s.advanceRefresh) expect(await s.advanceRefresh(r.id, { ...step, from: 1 })).toBeNull();
    }
    expect(await s.listByUser(userId)).toEqual([]);
  });
}
