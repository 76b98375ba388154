// The conformance cases of rule "activity" (stores/rules/activity.ts): a touch applies only when newer and moves only activity and expiry, an update never moves activity backwards, and neither brings a session back.
import { ACTIVITY_CASES } from '../../stores/rules/activity-cases.js';
import { mergeActivity, touchApplies } from '../../stores/rules/activity.js';
import { activityAt, HOUR, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function activityCases(kit: StoreCaseKit): void {
  const { it, store, record, created, user, now } = kit;

  it('touch moves activity and expiry but never version or data', async () => {
    const s = await store();
    const r = await created(s, user(), { data: { keep: 'me' } });
    const t = r.lastSeenAt + 60_000;
    await s.touch(r.id, activityAt(t));
    const got = await s.get(r.id);
    expect(got).toEqual({ ...r, ...activityAt(t) });
  });

  it('update never moves activity backwards: a touch that landed after the writer read survives', async () => {
    const s = await store();
    const r = await created(s, user());
    const t = r.lastSeenAt + 60_000;
    await s.touch(r.id, activityAt(t));
    expect(await s.update({ ...r, version: 2, data: { changed: true } }, 1)).toBe(true);
    expect(await s.get(r.id)).toMatchObject({ version: 2, data: { changed: true }, ...activityAt(t) });
    const later = t + 60_000;
    expect(await s.update({ ...r, version: 3, ...activityAt(later) }, 2)).toBe(true);
    expect(await s.get(r.id)).toMatchObject({ version: 3, lastSeenAt: later, expiresAt: later + HOUR });
  });

  it('a touch older than the last one changes nothing', async () => {
    const s = await store();
    const r = await created(s, user());
    const t = r.lastSeenAt + 60_000;
    await s.touch(r.id, activityAt(t));
    await s.touch(r.id, activityAt(t - 30_000));
    expect((await s.get(r.id))?.lastSeenAt).toBe(t);
  });

  it('a touch after data changed keeps the new data and version', async () => {
    const s = await store();
    const r = await created(s, user(), { data: { n: 1 } });
    await s.update({ ...r, version: 2, data: { n: 2 } }, 1);
    const t = r.lastSeenAt + 1000;
    await s.touch(r.id, activityAt(t));
    const got = await s.get(r.id);
    expect(got?.data).toEqual({ n: 2 });
    expect(got?.version).toBe(2);
    expect(got?.lastSeenAt).toBe(t);
  });

  it('touch never creates a record, nor brings back a deleted one', async () => {
    const s = await store();
    const userId = user();
    const never = record(s, userId);
    const deleted = await created(s, userId);
    await s.delete(deleted.id);
    const t = now() + 1000;
    for (const id of [never.id, deleted.id]) await s.touch(id, activityAt(t));
    expect(await s.get(never.id)).toBeNull();
    expect(await s.get(deleted.id)).toBeNull();
    expect(await s.listByUser(userId)).toEqual([]);
  });

  it('a revoke while a touch is in flight leaves the session revoked', async () => {
    const s = await store();
    const userId = user();
    for (let round = 0; round < 20; round++) {
      const r = await created(s, userId);
      const t = r.lastSeenAt + 1000;
      const touch = s.touch(r.id, activityAt(t));
      const revoke = round % 2 === 0 ? s.delete(r.id) : s.deleteByUser(userId);
      const [, revoked] = await Promise.all([touch, revoke]);
      expect(revoked === true || revoked === 1).toBe(true);
      expect(await s.get(r.id)).toBeNull();
    }
    expect(await s.listByUser(userId)).toEqual([]);
  });

  for (const c of ACTIVITY_CASES) {
    it(`activity: ${c.name}`, async () => {
      const s = await store();
      const userId = user();
      const [touched, updated] = [record(s, userId), record(s, userId)];
      for (const r of [touched, updated]) await s.create(r);
      const t = touched.lastSeenAt + c.delta;
      const activity = activityAt(t);
      expect(touchApplies(touched, activity)).toBe(c.touchApplies);
      await s.touch(touched.id, activity);
      expect((await s.get(touched.id))?.lastSeenAt).toBe(c.touchApplies ? t : touched.lastSeenAt);
      // the update's activity stands `delta` from the updated record's own (the two records may differ by a millisecond)
      const incoming = { ...updated, ...activityAt(updated.lastSeenAt + c.delta), version: 2, data: { updated: true } };
      const kept = c.updateKeeps === 'incoming' ? incoming : updated;
      expect(mergeActivity(updated, incoming)).toMatchObject({ lastSeenAt: kept.lastSeenAt, expiresAt: kept.expiresAt });
      expect(await s.update(incoming, 1)).toBe(true);
      expect(await s.get(updated.id)).toMatchObject({ version: 2, data: { updated: true }, lastSeenAt: kept.lastSeenAt, idleExpiresAt: kept.idleExpiresAt, expiresAt: kept.expiresAt });
    });
  }
}
