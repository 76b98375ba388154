// The conformance cases of rule "liveness" (stores/rules/liveness.ts): an expired record is invisible to every call and leaves the per-user index, and a touch keeps a record alive only while it is.
import { LIVENESS_CASES } from '../../stores/rules/liveness-cases.js';
import { isLive } from '../../stores/rules/liveness.js';
import { activityAt, HOUR, MINUTE, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function livenessCases(kit: StoreCaseKit): void {
  const { it, store, record, created, shortLived, user, now, advance, shortTtl, pruneNow } = kit;

  it('touch keeps a record alive past its old expiry', async () => {
    const s = await store();
    const r = shortLived(s, user());
    await s.create(r);
    const t = now() + 1;
    await s.touch(r.id, activityAt(t));
    await advance(shortTtl + 150);
    expect((await s.get(r.id))?.expiresAt).toBe(t + HOUR);
  });

  it('expired records are invisible to get, list, update, touch, delete and deleteByUser', async () => {
    const s = await store();
    const userId = user();
    const gone = shortLived(s, userId);
    const gone2 = shortLived(s, userId);
    await s.create(gone);
    await s.create(gone2);
    await advance(shortTtl + 150);
    expect(await s.get(gone.id)).toBeNull();
    expect(await s.listByUser(userId)).toEqual([]);
    expect(await s.update({ ...gone, version: 2, expiresAt: now() + HOUR, idleExpiresAt: now() + HOUR }, 1)).toBe(false);
    const t = now();
    await s.touch(gone.id, activityAt(t));
    expect(await s.get(gone.id)).toBeNull();
    expect(await s.delete(gone.id)).toBe(false);
    expect(await s.deleteByUser(userId)).toBe(0);
  });

  it('expired members leave the per-user index, so lists stay bounded', async () => {
    const s = await store();
    const userId = user();
    const keep = await created(s, userId, { createdAt: now() - 1000 });
    for (let i = 0; i < 20; i++) await s.create(shortLived(s, userId));
    await advance(shortTtl + 150);
    const fresh = await created(s, userId);
    expect((await s.listByUser(userId)).map((r) => r.id)).toEqual([keep.id, fresh.id]);
    if (kit.indexSize) expect(await kit.indexSize(s, userId)).toBe(2);
  });

  it('a touch racing expiry and pruning either keeps the session or loses it, and a kept one stays', async () => {
    const s = await store();
    const userId = user();
    const touched = Array.from({ length: 10 }, () => shortLived(s, userId));
    const untouched = Array.from({ length: 10 }, () => shortLived(s, userId));
    for (const r of [...touched, ...untouched]) await s.create(r);
    await advance(Math.max(shortTtl - 40, 0));
    const until = now() + HOUR;
    // Touches land around the expiry while pruning runs beside them.
    await Promise.all([
      ...touched.map(async (r, i) => {
        if (i % 2 === 1) await advance(5);
        const t = Math.max(now(), r.lastSeenAt + 1);
        await s.touch(r.id, { lastSeenAt: t, idleExpiresAt: until, expiresAt: until });
      }),
      pruneNow(s),
      pruneNow(s),
    ]);
    const kept = (await Promise.all(touched.map((r) => s.get(r.id)))).filter((r) => r !== null);
    for (const r of kept) expect(r!.expiresAt).toBe(until);
    await advance(shortTtl + 150);
    await Promise.all([pruneNow(s), ...untouched.map((r) => s.touch(r.id, { lastSeenAt: now(), idleExpiresAt: until, expiresAt: until }))]);
    await pruneNow(s);
    for (const r of kept) expect((await s.get(r!.id))?.expiresAt).toBe(until);
    for (const r of untouched) expect(await s.get(r.id)).toBeNull();
    expect((await s.listByUser(userId)).map((r) => r.id).sort()).toEqual(kept.map((r) => r!.id).sort());
  });

  for (const c of LIVENESS_CASES) {
    it(`liveness: ${c.name}`, async () => {
      const s = await store();
      const userId = user();
      const t = now();
      const [idleExpiresAt, absoluteExpiresAt] = [t + c.idleIn * MINUTE, t + c.absoluteIn * MINUTE];
      const times = { createdAt: t - HOUR, lastSeenAt: Math.min(t, idleExpiresAt) - MINUTE, idleExpiresAt, absoluteExpiresAt, expiresAt: Math.min(idleExpiresAt, absoluteExpiresAt) };
      const r = record(s, userId, { ...times, refresh: { generation: 0, previous: -1, rotatedAt: times.lastSeenAt, expiresAt: absoluteExpiresAt } });
      expect(isLive(r, t)).toBe(c.live);
      await s.create(r);
      expect((await s.get(r.id))?.id ?? null).toBe(c.live ? r.id : null);
      expect((await s.listByUser(userId)).map((x) => x.id)).toEqual(c.live ? [r.id] : []);
    });
  }
}
