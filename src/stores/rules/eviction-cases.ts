// The cases of rule "per-user cap" (eviction.ts), as data: one table that the TypeScript rule passes
// (test/stores/kit.test.ts) and that `runStoreConformance` runs against any store with a per-user cap
// (latchkey/testing). Ids are the store's own, so a case names each record by its rank in id order.

/** One live record of the user: its expiry and creation (minutes from now / ago) and its rank in id order. */
export interface EvictionRecord {
  name: string;
  expiresIn: number;
  createdAgo: number;
  /** 0 for the smallest id among the case's records, 1 for the next, … */
  idRank: number;
}

/** One case: the user's live records, the cap of a new sign-in, and the records it evicts. */
export interface EvictionCase {
  name: string;
  live: readonly EvictionRecord[];
  maxPerUser: number;
  evicted: readonly string[];
}

/** Every key of the order, each tie broken by the next key, and the cap's edges (records: name, expiresIn, createdAgo, idRank). */
export const EVICTION_CASES: readonly EvictionCase[] = [
  { name: 'the soonest to expire goes first, whatever its age or id', maxPerUser: 2, evicted: ['soon'], live: [r('late', 30, 50, 0), r('soon', 10, 1, 1)] },
  { name: 'ties on expiry: the oldest goes first, whatever the ids', maxPerUser: 3, evicted: ['older'], live: [r('younger', 10, 2, 0), r('older', 10, 5, 1), r('later', 30, 9, 2)] },
  { name: 'ties on expiry and creation: the smaller id goes first', maxPerUser: 2, evicted: ['first'], live: [r('second', 10, 5, 1), r('first', 10, 5, 0)] },
  { name: 'two over the cap: the two first in the order go', maxPerUser: 2, evicted: ['a', 'b'], live: [r('c', 30, 1, 0), r('a', 10, 5, 1), r('b', 10, 2, 2)] },
  { name: 'under the cap nothing is evicted', maxPerUser: 3, evicted: [], live: [r('a', 10, 5, 0), r('b', 20, 2, 1)] },
];

function r(name: string, expiresIn: number, createdAgo: number, idRank: number): EvictionRecord {
  return { name, expiresIn, createdAgo, idRank };
}
