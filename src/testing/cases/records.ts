// The conformance cases of the record itself: create, read, compare-and-set update, delete, list and delete by user.
import { randomBytes } from 'node:crypto';
import type { SessionRecord } from '../../core/types.js';
import type { SessionStore } from '../../stores/contract.js';
import { type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';

/** Registers these cases on `kit.it`. */
export function recordCases(kit: StoreCaseKit): void {
  const { it, store, storeWith, record, created, user, now } = kit;

  /** An update of `r` (absent from the store) is refused, and neither it nor its user's index appears. */
  async function expectUpdateWritesNothing(s: SessionStore, r: SessionRecord): Promise<void> {
    expect(await s.update({ ...r, version: 2 }, 1)).toBe(false);
    expect(await s.get(r.id)).toBeNull();
    expect(await s.listByUser(r.userId)).toEqual([]);
  }

  it('a created record reads back equal, as a JSON copy', async () => {
    const s = await store();
    const data = { role: 'admin', tags: [], nested: { empty: {}, list: [1, 'two', null, { x: false }] }, float: 0.1 + 0.2, big: 2 ** 53 - 1, text: 'zoë 🔑 "quoted" {x}' };
    const r = record(s, user(), { data, meta: { userAgent: 'Mozilla/5.0', ip: '203.0.113.9', label: 'laptop' } });
    const expected = JSON.parse(JSON.stringify(r)) as SessionRecord;
    await s.create(r);
    (r.data as Record<string, unknown>).role = 'changed after create';
    const got = await s.get(r.id);
    expect(got).toEqual(expected);
    (got!.data as Record<string, unknown>).role = 'changed after get';
    expect(await s.get(r.id)).toEqual(expected);
  });

  it('create refuses an id that already exists (it throws) and leaves the stored record as it was', async () => {
    const s = await store();
    const userId = user();
    const r = await created(s, userId, { data: { first: true } });
    let refused = false;
    try {
      await s.create({ ...r, version: 7, data: { first: false }, secretHash: randomBytes(32).toString('base64url') });
    } catch {
      refused = true;
    }
    expect(refused).toBe(true);
    expect(await s.get(r.id)).toEqual(JSON.parse(JSON.stringify(r)));
    expect(await s.listByUser(userId)).toHaveLength(1);
  });

  it('newId (stores that mint ids) returns distinct 22-character base64url ids', async (ctx) => {
    const s = await storeWith(ctx, 'newId');
    if (!s) return;
    const userId = user();
    const ids = Array.from({ length: 200 }, () => s.newId!(userId));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('get of an unknown id is null', async () => {
    const s = await store();
    expect(await s.get(record(s, user()).id)).toBeNull();
  });

  it('update with the current version writes; a stale version is refused', async () => {
    const s = await store();
    const r = await created(s, user(), { data: { n: 1 } });
    expect(await s.update({ ...r, version: 2, data: { n: 2 } }, 1)).toBe(true);
    expect(await s.update({ ...r, version: 2, data: { n: 99 } }, 1)).toBe(false);
    const got = await s.get(r.id);
    expect(got?.version).toBe(2);
    expect(got?.data).toEqual({ n: 2 });
  });

  it('of 20 parallel updates on the same version exactly one wins', async () => {
    const s = await store();
    const r = await created(s, user(), { data: { winner: -1 } });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.update({ ...r, version: 2, data: { winner: i } }, 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const got = await s.get(r.id);
    expect(got?.version).toBe(2);
    expect(got?.data).toEqual({ winner: results.indexOf(true) });
  });

  it('update of a deleted record returns false and does not bring it back', async () => {
    const s = await store();
    const userId = user();
    const r = await created(s, userId);
    expect(await s.delete(r.id)).toBe(true);
    await expectUpdateWritesNothing(s, r);
  });

  it('update of a record that never existed returns false and creates nothing', async () => {
    const s = await store();
    await expectUpdateWritesNothing(s, record(s, user()));
  });

  it('delete removes the record and its index entry, and is true only once', async () => {
    const s = await store();
    const userId = user();
    const a = record(s, userId, { createdAt: now() - 2 });
    const b = record(s, userId, { createdAt: now() - 1 });
    await s.create(a);
    await s.create(b);
    expect(await s.delete(a.id)).toBe(true);
    expect(await s.delete(a.id)).toBe(false);
    expect(await s.get(a.id)).toBeNull();
    expect((await s.listByUser(userId)).map((x) => x.id)).toEqual([b.id]);
  });

  it("listByUser returns only the user's live records, oldest first", async () => {
    const s = await store();
    const userId = user();
    const other = user();
    const t = now();
    const mine = [3, 1, 2].map((age) => record(s, userId, { createdAt: t - age * 1000, data: { age } }));
    for (const r of mine) await s.create(r);
    await s.create(record(s, other));
    const list = await s.listByUser(userId);
    expect(list.map((r) => r.data)).toEqual([{ age: 3 }, { age: 2 }, { age: 1 }]);
    expect(list.every((r) => r.userId === userId)).toBe(true);
    expect(await s.listByUser(user())).toEqual([]);
  });

  it('deleteByUser deletes every record of the user except `except`, and counts them', async () => {
    const s = await store();
    const userId = user();
    const other = user();
    const mine = Array.from({ length: 4 }, (_, i) => record(s, userId, { createdAt: now() - 10 + i }));
    for (const r of mine) await s.create(r);
    const theirs = await created(s, other);
    expect(await s.deleteByUser(userId, { except: mine[1]!.id })).toBe(3);
    expect((await s.listByUser(userId)).map((r) => r.id)).toEqual([mine[1]!.id]);
    expect(await s.get(mine[0]!.id)).toBeNull();
    expect(await s.get(theirs.id)).not.toBeNull();
    expect(await s.deleteByUser(userId)).toBe(1);
    expect(await s.listByUser(userId)).toEqual([]);
    expect(await s.deleteByUser(user())).toBe(0);
  });

  it('records of different users never mix', async () => {
    const s = await store();
    const [alice, bob] = [user(), user()];
    const a = record(s, alice, { data: { who: 'alice' } });
    const b = record(s, bob, { data: { who: 'bob' } });
    await s.create(a);
    await s.create(b);
    expect(await s.update({ ...a, userId: bob, version: 2 }, 1)).toBe(false);
    await s.deleteByUser(alice);
    expect((await s.get(b.id))?.data).toEqual({ who: 'bob' });
    expect((await s.listByUser(bob)).map((r) => r.id)).toEqual([b.id]);
  });

  it('of 100 parallel compare-and-set updates of one id exactly one wins per version, and retrying writers lose no write', async () => {
    const s = await store();
    const r = await created(s, user(), { data: { list: [] } });
    const first = await Promise.all(Array.from({ length: 100 }, (_, i) => s.update({ ...r, version: 2, data: { list: [], first: i } }, 1)));
    expect(first.filter(Boolean)).toHaveLength(1);
    // Every writer reads, appends its number, and writes with the version it read, retrying when it lost.
    await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      for (let attempt = 0; attempt < 1000; attempt++) {
        const current = (await s.get(r.id))!;
        const list = [...((current.data as { list: number[] }).list), i];
        if (await s.update({ ...current, version: current.version + 1, data: { ...current.data, list } }, current.version)) return;
      }
      throw new Error(`writer ${i} never got through`);
    }));
    const final = await s.get(r.id);
    expect(final?.version).toBe(102);
    expect([...(final!.data as { list: number[] }).list].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((final!.data as { first: number }).first).toBe(first.indexOf(true));
  });
}
