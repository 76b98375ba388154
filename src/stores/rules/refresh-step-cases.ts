// The cases of rule "refresh step" (refresh-step.ts), as data: one table that the TypeScript rule, the Redis
// script and the PostgreSQL statement all pass (test/stores/kit.test.ts, test/stores/*.conformance.test.ts),
// and that `runStoreConformance` runs against any store (latchkey/testing).
import type { RefreshState } from '../../core/types.js';
import type { RefreshVerdict } from './refresh-step.js';

/** One case: a stored refresh state, a presented generation some time after the last rotation, and the outcome. */
export interface RefreshStepCase {
  name: string;
  /** The stored state; `rotatedAt` and `expiresAt` are filled in by the runner (the rotation at t0, expiry far ahead). */
  state: Omit<RefreshState, 'rotatedAt' | 'expiresAt'> & { expiresIn?: number };
  /** The generation presented, and when: ms after the stored rotation. */
  present: number;
  after: number;
  /** The grace window of the step (ms). */
  reuseGrace: number;
  /** The verdict on the stored state, whether the store writes, and the refresh state it holds afterwards. */
  verdict: RefreshVerdict;
  advanced: boolean;
  expect: { generation: number; previous: number };
}

const GRACE = 10_000;

/** Every branch of the rule, with the legacy (no `previous`) and family (`firstGeneration`) variants. */
export const REFRESH_STEP_CASES: readonly RefreshStepCase[] = [
  { name: 'the newest generation rotates', state: { generation: 3, previous: 2 }, present: 3, after: 60_000, reuseGrace: GRACE, verdict: 'rotate', advanced: true, expect: { generation: 4, previous: 3 } },
  { name: 'a first refresh rotates generation 0', state: { generation: 0, previous: -1 }, present: 0, after: 1, reuseGrace: GRACE, verdict: 'rotate', advanced: true, expect: { generation: 1, previous: 0 } },
  { name: 'the previous generation within the grace window joins the rotation (nothing written)', state: { generation: 4, previous: 3 }, present: 3, after: 5_000, reuseGrace: GRACE, verdict: 'join', advanced: false, expect: { generation: 4, previous: 3 } },
  { name: 'the previous generation at the edge of the grace window still joins', state: { generation: 4, previous: 3 }, present: 3, after: GRACE, reuseGrace: GRACE, verdict: 'join', advanced: false, expect: { generation: 4, previous: 3 } },
  { name: 'the previous generation after the grace window replaces the unused newest (15 s)', state: { generation: 4, previous: 3 }, present: 3, after: 15_000, reuseGrace: GRACE, verdict: 'replace', advanced: true, expect: { generation: 5, previous: 3 } },
  { name: 'the previous generation 10 minutes later still replaces, never theft', state: { generation: 4, previous: 3 }, present: 3, after: 600_000, reuseGrace: GRACE, verdict: 'replace', advanced: true, expect: { generation: 5, previous: 3 } },
  { name: 'a generation replaced unused is theft', state: { generation: 5, previous: 3 }, present: 4, after: 1_000, reuseGrace: GRACE, verdict: 'theft', advanced: false, expect: { generation: 5, previous: 3 } },
  { name: 'a generation older than the last used is theft, even within the grace window', state: { generation: 4, previous: 3 }, present: 2, after: 1, reuseGrace: GRACE, verdict: 'theft', advanced: false, expect: { generation: 4, previous: 3 } },
  { name: 'generation 0 after two rotations is theft', state: { generation: 2, previous: 1 }, present: 0, after: 600_000, reuseGrace: GRACE, verdict: 'theft', advanced: false, expect: { generation: 2, previous: 1 } },
  { name: 'a generation newer than the newest was never issued (foreign)', state: { generation: 2, previous: 1 }, present: 3, after: 1, reuseGrace: GRACE, verdict: 'foreign', advanced: false, expect: { generation: 2, previous: 1 } },
  { name: 'a generation of the family reauthenticate ended is foreign, not theft', state: { generation: 5, previous: -1, firstGeneration: 5 }, present: 4, after: 600_000, reuseGrace: GRACE, verdict: 'foreign', advanced: false, expect: { generation: 5, previous: -1 } },
  { name: 'the first generation of a new family rotates', state: { generation: 5, previous: -1, firstGeneration: 5 }, present: 5, after: 1, reuseGrace: GRACE, verdict: 'rotate', advanced: true, expect: { generation: 6, previous: 5 } },
  { name: 'a record written before `previous` existed: the generation before the newest is the previous one', state: { generation: 4 }, present: 3, after: 15_000, reuseGrace: GRACE, verdict: 'replace', advanced: true, expect: { generation: 5, previous: 3 } },
  { name: 'a record written before `previous` existed, at the start of a family, has none', state: { generation: 5, firstGeneration: 5 }, present: 4, after: 15_000, reuseGrace: GRACE, verdict: 'foreign', advanced: false, expect: { generation: 5, previous: -1 } },
  { name: 'a retry after the refresh token expired writes nothing', state: { generation: 4, previous: 3, expiresIn: 10_000 }, present: 3, after: 15_000, reuseGrace: GRACE, verdict: 'replace', advanced: false, expect: { generation: 4, previous: 3 } },
  { name: 'the newest after the refresh token expired writes nothing', state: { generation: 4, previous: 3, expiresIn: 10_000 }, present: 4, after: 15_000, reuseGrace: GRACE, verdict: 'rotate', advanced: false, expect: { generation: 4, previous: 3 } },
];
