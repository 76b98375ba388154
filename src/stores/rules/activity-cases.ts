// The cases of rule "activity" (activity.ts), as data: one table that the TypeScript rule passes
// (test/stores/kit.test.ts) and that `runStoreConformance` runs against any store (latchkey/testing): a touch,
// and an update, each carrying activity some time after (or before) the stored activity.

/** One case: incoming activity `delta` ms after the stored `lastSeenAt` (negative: before it). */
export interface ActivityCase {
  name: string;
  delta: number;
  /** Whether a touch with that activity applies (`touchApplies`). */
  touchApplies: boolean;
  /** Whose activity an update with it leaves stored (`mergeActivity`). */
  updateKeeps: 'incoming' | 'stored';
}

/** Every branch of the rule, with the tie. */
export const ACTIVITY_CASES: readonly ActivityCase[] = [
  { name: 'later activity: a touch applies, an update writes it', delta: 60_000, touchApplies: true, updateKeeps: 'incoming' },
  { name: 'the same instant: a touch changes nothing, an update writes its own activity', delta: 0, touchApplies: false, updateKeeps: 'incoming' },
  { name: 'earlier activity: a touch changes nothing, an update keeps the stored (later) activity', delta: -30_000, touchApplies: false, updateKeeps: 'stored' },
];
