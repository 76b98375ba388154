// The cases of rule "liveness" (liveness.ts), as data: one table that the TypeScript rule passes
// (test/stores/kit.test.ts) and that `runStoreConformance` runs against any store (latchkey/testing). Times
// are minutes from now (negative: past); the store expiry is the first of the idle and absolute expiries, as
// every store keeps it.

/** One case: a record's idle and absolute expiry, minutes from now, and whether it is live. */
export interface LivenessCase {
  name: string;
  idleIn: number;
  absoluteIn: number;
  live: boolean;
}

/** Every way a record stops being live, and one that is. */
export const LIVENESS_CASES: readonly LivenessCase[] = [
  { name: 'before both expiries the record is live', idleIn: 30, absoluteIn: 600, live: true },
  { name: 'past its idle expiry the record is gone, whatever its absolute expiry', idleIn: -1, absoluteIn: 600, live: false },
  { name: 'past its absolute expiry the record is gone, however recently it was active', idleIn: 30, absoluteIn: -1, live: false },
  { name: 'past both expiries the record is gone', idleIn: -5, absoluteIn: -1, live: false },
];
