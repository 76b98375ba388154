import type { Duration } from '../core/duration.js';
import { callable, checkKeys, fail, positive, wholeNumber } from '../core/option-kit.js';
import { frozenCopy, thaw, type Frozen } from '../lib/json.js';
import type { SessionRecord } from '../core/types.js';
import { readShared, type SharedReads } from './fast-read.js';
import { mergeActivity, touchApplies } from './rules/activity.js';
import { pickEvictions } from './rules/eviction.js';
import { createOutcome } from './rules/kit.js';
import { applyRefreshStep } from './rules/refresh-step.js';
import type { SessionActivity, SessionStore } from './contract.js';

/** Options for `memoryStore`. */
export interface MemoryStoreOptions {
  /** Most records kept; the least recently used is dropped beyond it (reads count once the store is over half full, writes and touches always). Default `100000`. */
  maxEntries?: number;
  /** How often expired records are swept: a `Duration` as in `createAuth` (`'1m'`, or seconds). The timer never keeps the process alive. Default `'1m'`. */
  sweepInterval?: Duration;
  /** The clock, in ms since the epoch. Default `Date.now`; `createAuth` passes its own `now`. */
  now?: () => number;
}

/** A memory store with its clock exposed, so `createAuth` can share its injected clock. */
export interface MemoryStore extends SessionStore, SharedReads {
  /** Number of records held (expired ones may linger until the next sweep). */
  readonly size: number;
  /** Uses this clock from now on (createAuth calls it with its `now` when it creates the default store). */
  useClock(now: () => number): void;
  close(): Promise<void>;
}

/** A stored record: a detached JSON copy, frozen, so it can be handed out read-only without a copy. */
type Entry = Frozen<SessionRecord>;

const OPTION_NAMES = ['maxEntries', 'sweepInterval', 'now'];

/** Validates `memoryStore` options as `createAuth` does: unknown keys refused, durations in the one `Duration` form. */
function resolveMemoryOptions(options: MemoryStoreOptions): { maxEntries: number; sweepInterval: number; now: () => number } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('memoryStore expects an options object.');
  checkKeys(options, OPTION_NAMES, 'memoryStore');
  return {
    maxEntries: wholeNumber(options.maxEntries, 100_000, 'memoryStore maxEntries', { min: 1 }),
    // setInterval takes at most 2^31-1 ms; beyond it Node fires every 1 ms, the very thing this bound prevents.
    sweepInterval: positive(options.sweepInterval, '1m', 'memoryStore sweepInterval', { max: 2 ** 31 - 1 }),
    now: callable(options.now, Date.now, 'memoryStore now', 'returning milliseconds since the epoch'),
  };
}

/** Makes a memory store follow an injected clock (createAuth does this with its `now`); other stores are left alone. */
export function followClock(store: SessionStore, now: () => number): void {
  const clocked = store as Partial<Pick<MemoryStore, 'useClock'>>;
  if (typeof clocked.useClock === 'function') clocked.useClock(now);
}

/** Records handled between two yields of list and delete-by-user: a user with 20k sessions never blocks other requests for long. */
const PAGE = 500;

/** Lets other requests run (a macrotask turn). */
function yieldToOthers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * An in-process store: detached frozen copies (every caller but the per-request check gets its own mutable
 * copy), TTL expiry, bounded by LRU, per-user index.
 * Good for one process and for tests; use `redisStore` when the app runs on more than one.
 * @example
 * const auth = createAuth({ store: memoryStore({ maxEntries: 50_000 }) });
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const { maxEntries, sweepInterval, now: clock } = resolveMemoryOptions(options);
  let now = clock;
  const records = new Map<string, Entry>();
  // A user's session ids: a bare id for the common single session, a Set from the second on (~150 bytes less each).
  const byUser = new Map<string, string | Set<string>>();

  function idsOf(userId: string): string[] {
    const ids = byUser.get(userId);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
  }

  /** How many ids the user's index holds (expired ones included): a cheap upper bound of their live sessions. */
  function countOf(userId: string): number {
    const ids = byUser.get(userId);
    return ids === undefined ? 0 : typeof ids === 'string' ? 1 : ids.size;
  }

  function index(id: string, userId: string): void {
    const ids = byUser.get(userId);
    if (ids === undefined || ids === id) byUser.set(userId, id);
    else if (typeof ids === 'string') byUser.set(userId, new Set([ids, id]));
    else ids.add(id);
  }

  function unindex(id: string, userId: string): void {
    const ids = byUser.get(userId);
    if (ids === id) {
      byUser.delete(userId);
    } else if (typeof ids === 'object') {
      ids.delete(id);
      if (ids.size === 0) byUser.delete(userId);
    }
  }

  function remove(id: string, entry: Entry): void {
    records.delete(id);
    unindex(id, entry.userId);
  }

  function live(id: string): Entry | undefined {
    const entry = records.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      remove(id, entry);
      return undefined;
    }
    return entry;
  }

  /** Stores a record the caller handed in: as a detached, frozen JSON copy. */
  function put(record: SessionRecord): Entry {
    return keep(frozenCopy(record));
  }

  /** Stores an entry that is already a frozen JSON copy (a touch shares the unchanged parts). */
  function keep(entry: Entry): Entry {
    records.delete(entry.id);
    records.set(entry.id, entry);
    index(entry.id, entry.userId);
    while (records.size > maxEntries) {
      const [oldest, oldEntry] = records.entries().next().value as [string, Entry];
      remove(oldest, oldEntry);
    }
    return entry;
  }

  // A read moves its record to the recent end only once the store is over half full: below that nothing is
  // evicted soon, and the move (a Map delete and set) was a tenth of the per-request cookie check. Writes and
  // touches (every `touchEvery` of activity) always move it, so the order stays least recently used.
  const bumpAbove = Math.floor(maxEntries / 2);

  /** A live record, read-only (the stored frozen object itself); marks it recently used. */
  function read(id: string): SessionRecord | null {
    const entry = live(id);
    if (!entry) return null;
    if (records.size > bumpAbove) {
      records.delete(id);
      records.set(id, entry);
    }
    return entry as SessionRecord;
  }

  function sweep(): void {
    const t = now();
    for (const [id, entry] of records) if (entry.expiresAt <= t) remove(id, entry);
  }

  const timer = setInterval(sweep, sweepInterval);
  timer.unref?.();

  return {
    get size() {
      return records.size;
    },
    useClock(clock) {
      now = clock;
    },
    replaceOnCreate: true,
    async create(record, opts = {}) {
      if (live(record.id)) throw new Error('latchkey: memoryStore.create: a session with this id already exists.');
      const evicted: string[] = [];
      const replaces = opts.replaces; // the session this one replaces (elevate): not counted against the cap, ended with the insert
      const old = replaces === undefined || replaces === record.id ? undefined : live(replaces);
      if (replaces !== undefined && old?.userId !== record.userId) return createOutcome(opts, evicted, false, false);
      const max = opts.maxPerUser;
      if (max !== undefined && countOf(record.userId) - (old ? 1 : 0) + 1 > max) {
        const mine = idsOf(record.userId).filter((id) => id !== record.id && id !== replaces && live(id) !== undefined);
        if (mine.length + 1 > max) {
          if (opts.overLimit === 'refuse') return createOutcome(opts, evicted, true, false);
          for (const victim of pickEvictions(mine.map((id) => records.get(id)!), max)) {
            remove(victim.id, records.get(victim.id)!);
            evicted.push(victim.id);
          }
        }
      }
      if (old) remove(old.id, old);
      put(record);
      return createOutcome(opts, evicted, false, old !== undefined);
    },
    [readShared]: read,
    async get(id) {
      const entry = read(id);
      return entry && thaw(entry);
    },
    async update(record, expectedVersion) {
      const stored = live(record.id) as SessionRecord | undefined;
      if (!stored) return false;
      if (stored.version !== expectedVersion || stored.userId !== record.userId) return false;
      put(mergeActivity(stored, record));
      return true;
    },
    async advanceRefresh(id, step) {
      const stored = live(id) as SessionRecord | undefined;
      if (!stored) return null;
      const next = applyRefreshStep(stored, step);
      if (!next) return { advanced: false, record: thaw(stored) };
      return { advanced: true, record: thaw<SessionRecord>(put(next)) };
    },
    async touch(id, activity: SessionActivity) {
      const stored = live(id);
      if (!stored || !touchApplies(stored, activity)) return;
      // the unchanged parts (data, meta, refresh) are frozen already: shared, not copied
      keep(Object.freeze({ ...stored, lastSeenAt: activity.lastSeenAt, idleExpiresAt: activity.idleExpiresAt, expiresAt: activity.expiresAt }));
    },
    async delete(id) {
      const entry = live(id);
      if (!entry) return false;
      remove(id, entry);
      return true;
    },
    async listByUser(userId) {
      const list: SessionRecord[] = [];
      const ids = idsOf(userId);
      for (let i = 0; i < ids.length; i++) {
        if (i > 0 && i % PAGE === 0) await yieldToOthers();
        const id = ids[i]!;
        const entry = live(id);
        if (entry) list.push(thaw<SessionRecord>(entry));
      }
      return list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },
    async deleteByUser(userId, opts = {}) {
      let count = 0;
      const ids = idsOf(userId);
      for (let i = 0; i < ids.length; i++) {
        if (i > 0 && i % PAGE === 0) await yieldToOthers();
        const id = ids[i]!;
        if (id === opts.except) continue;
        const entry = live(id);
        if (entry) {
          remove(id, entry);
          count++;
        }
      }
      return count;
    },
    async close() {
      clearInterval(timer);
    },
  };
}
