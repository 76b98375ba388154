// The conformance cases of rule "refresh step": the shared table (stores/rules/refresh-step-cases.ts) run
// against a store, plus concurrent retries. A store with `advanceRefresh` runs each step in one call; one
// without it is driven as the core drives it (get, the TypeScript rule, compare-and-set update), which checks
// that it keeps the refresh state, `previous` included, through `update`.
import { advanceByUpdate } from '../../core/cas.js';
import type { RefreshAdvance, RefreshStep, SessionStore } from '../../stores/contract.js';
import { REFRESH_STEP_CASES } from '../../stores/rules/refresh-step-cases.js';
import { previousGeneration, refreshVerdict } from '../../stores/rules/refresh-step.js';
import { DAY, type StoreCaseKit } from '../case-kit.js';
import { expect } from '../expect.js';


/** One step as the core takes it: `advanceRefresh` when the store has it, else get + rule + compare-and-set. */
export function stepOnce(s: SessionStore, id: string, step: RefreshStep): Promise<RefreshAdvance | null> {
  if (s.advanceRefresh) return s.advanceRefresh(id, step);
  return advanceByUpdate(() => s.get(id), (next, expected) => s.update(next, expected), step);
}

/** Registers the refresh-step cases on `kit.it`. */
export function refreshStepCases(kit: StoreCaseKit): void {
  for (const c of REFRESH_STEP_CASES) {
    kit.it(`refresh step: ${c.name}`, async () => {
      const s = await kit.store();
      const at = kit.now() + 1;
      const rotatedAt = at - c.after;
      const { expiresIn, ...state } = c.state;
      const refresh = { ...state, rotatedAt, expiresAt: rotatedAt + (expiresIn ?? DAY) };
      expect(refreshVerdict(refresh, c.present, at, c.reuseGrace)).toBe(c.verdict);
      const r = kit.record(s, kit.user(), { refresh });
      await s.create(r);
      const outcome = await stepOnce(s, r.id, { from: c.present, at, refreshExpiresAt: at + DAY, idleExpiresAt: at + 3_600_000, reuseGrace: c.reuseGrace });
      expect(outcome?.advanced).toBe(c.advanced);
      for (const seen of [outcome?.record, await s.get(r.id)]) {
        const held = seen?.refresh;
        expect(held && { generation: held.generation, previous: previousGeneration(held) }).toEqual(c.expect);
        if (c.advanced) expect(held?.rotatedAt).toBe(at);
      }
    });
  }

  kit.it('refresh step: 20 concurrent retries of the previous generation after the grace window replace the newest once, and all get it', async () => {
    const s = await kit.store();
    const at = kit.now() + 1;
    const r = kit.record(s, kit.user(), { refresh: { generation: 4, previous: 3, rotatedAt: at - 60_000, expiresAt: at + DAY } });
    await s.create(r);
    const step = { from: 3, at, refreshExpiresAt: at + DAY, idleExpiresAt: at + 3_600_000, reuseGrace: 10_000 };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => stepOnce(s, r.id, step)));
    expect(outcomes.filter((o) => o?.advanced)).toHaveLength(1);
    // every caller holds the replacement, and presenting 3 again now joins it (within its grace window): never theft
    for (const o of outcomes) {
      expect(o?.record.refresh?.generation).toBe(5);
      expect(refreshVerdict(o!.record.refresh!, 3, at, step.reuseGrace)).toBe('join');
    }
    expect((await s.get(r.id))?.refresh).toMatchObject({ generation: 5, previous: 3 });
  });

  kit.it('refresh step: 20 concurrent rotations of the newest advance once; the others join', async () => {
    const s = await kit.store();
    const at = kit.now() + 1;
    const r = kit.record(s, kit.user(), { refresh: { generation: 0, previous: -1, rotatedAt: at - 60_000, expiresAt: at + DAY } });
    await s.create(r);
    const step = { from: 0, at, refreshExpiresAt: at + DAY, idleExpiresAt: at + 3_600_000, reuseGrace: 10_000 };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => stepOnce(s, r.id, step)));
    expect(outcomes.filter((o) => o?.advanced)).toHaveLength(1);
    for (const o of outcomes) expect(o && refreshVerdict(o.record.refresh!, 0, at, step.reuseGrace)).toBe('join');
  });
}
