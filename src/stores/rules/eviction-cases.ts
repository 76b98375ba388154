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

/** Every key of the order, each tie broken by the next key, and the cap's edges. */
export const EVICTION_CASES: readonly EvictionCase[] = [
  {
    name: 'the soonest to expire goes first, whatever its age or id',
    live: [{ name: 'late', expiresIn: 30, createdAgo: 50, idRank: 0 }, { name: 'soon', expiresIn: 10, createdAgo: 1, idRank: 1 }],
    maxPerUser: 2,
    evicted: ['soon'],
  },
  {
    name: 'ties on expiry: the oldest goes first, whatever the ids',
    live: [{ name: 'younger', expiresIn: 10, createdAgo: 2, idRank: 0 }, { name: 'older', expiresIn: 10, createdAgo: 5, idRank: 1 }, { name: 'later', expiresIn: 30, createdAgo: 9, idRank: 2 }],
    maxPerUser: 3,
    evicted: ['older'],
  },
  {
    name: 'ties on expiry and creation: the smaller id goes first',
    live: [{ name: 'second', expiresIn: 10, createdAgo: 5, idRank: 1 }, { name: 'first', expiresIn: 10, createdAgo: 5, idRank: 0 }],
    maxPerUser: 2,
    evicted: ['first'],
  },
  {
    name: 'two over the cap: the two first in the order go',
    live: [{ name: 'c', expiresIn: 30, createdAgo: 1, idRank: 0 }, { name: 'a', expiresIn: 10, createdAgo: 5, idRank: 1 }, { name: 'b', expiresIn: 10, createdAgo: 2, idRank: 2 }],
    maxPerUser: 2,
    evicted: ['a', 'b'],
  },
  {
    name: 'under the cap nothing is evicted',
    live: [{ name: 'a', expiresIn: 10, createdAgo: 5, idRank: 0 }, { name: 'b', expiresIn: 20, createdAgo: 2, idRank: 1 }],
    maxPerUser: 3,
    evicted: [],
  },
];
