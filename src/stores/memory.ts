import type { SessionRecord } from '../types.js';
import type { SessionActivity, SessionStore } from './store.js';

/** Options for `memoryStore`. */
export interface MemoryStoreOptions {
  /** Most records kept; the least recently used is dropped beyond it. Default `100000`. */
  maxEntries?: number;
  /** How often expired records are swept, in ms. The timer never keeps the process alive. Default `60000`. */
  sweepInterval?: number;
  /** The clock, in ms since the epoch. Default `Date.now`; `createAuth` passes its own `now`. */
  now?: () => number;
}

/** A memory store with its clock exposed, so `createAuth` can share its injected clock. */
export interface MemoryStore extends SessionStore {
  /** Number of records held (expired ones may linger until the next sweep). */
  readonly size: number;
  /** Uses this clock from now on (createAuth calls it with its `now` when it creates the default store). */
  useClock(now: () => number): void;
  close(): Promise<void>;
}

interface Entry {
  json: string;
  userId: string;
  expiresAt: number;
}

/**
 * An in-process store: serialised copies, TTL expiry, bounded by LRU, per-user index.
 * Good for one process and for tests; use `redisStore` when the app runs on more than one.
 * @example
 * const auth = createAuth({ store: memoryStore({ maxEntries: 50_000 }) });
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('latchkey: memoryStore maxEntries must be a positive whole number.');
  let now = options.now ?? Date.now;
  const records = new Map<string, Entry>();
  const byUser = new Map<string, Set<string>>();

  function unindex(id: string, userId: string): void {
    const ids = byUser.get(userId);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) byUser.delete(userId);
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

  function put(record: SessionRecord): void {
    const entry: Entry = { json: JSON.stringify(record), userId: record.userId, expiresAt: record.expiresAt };
    records.delete(record.id);
    records.set(record.id, entry);
    let ids = byUser.get(record.userId);
    if (!ids) byUser.set(record.userId, (ids = new Set()));
    ids.add(record.id);
    while (records.size > maxEntries) {
      const [oldest, oldEntry] = records.entries().next().value as [string, Entry];
      remove(oldest, oldEntry);
    }
  }

  function sweep(): void {
    const t = now();
    for (const [id, entry] of records) if (entry.expiresAt <= t) remove(id, entry);
  }

  const interval = options.sweepInterval ?? 60_000;
  const timer = setInterval(sweep, interval);
  timer.unref?.();

  return {
    get size() {
      return records.size;
    },
    useClock(clock) {
      now = clock;
    },
    async create(record) {
      put(record);
    },
    async get(id) {
      const entry = live(id);
      if (!entry) return null;
      records.delete(id);
      records.set(id, entry);
      return JSON.parse(entry.json) as SessionRecord;
    },
    async update(record, expectedVersion) {
      const entry = live(record.id);
      if (!entry) return false;
      const stored = JSON.parse(entry.json) as SessionRecord;
      if (stored.version !== expectedVersion || stored.userId !== record.userId) return false;
      // A touch that landed after the writer read the record must survive the write (touch bumps no version).
      const touched = stored.lastSeenAt > record.lastSeenAt;
      put(touched ? { ...record, lastSeenAt: stored.lastSeenAt, idleExpiresAt: stored.idleExpiresAt, expiresAt: stored.expiresAt } : record);
      return true;
    },
    async touch(id, activity: SessionActivity) {
      const entry = live(id);
      if (!entry) return;
      const stored = JSON.parse(entry.json) as SessionRecord;
      if (activity.lastSeenAt <= stored.lastSeenAt) return;
      put({ ...stored, lastSeenAt: activity.lastSeenAt, idleExpiresAt: activity.idleExpiresAt, expiresAt: activity.expiresAt });
    },
    async delete(id) {
      const entry = live(id);
      if (!entry) return false;
      remove(id, entry);
      return true;
    },
    async listByUser(userId) {
      const ids = byUser.get(userId);
      if (!ids) return [];
      const list: SessionRecord[] = [];
      for (const id of [...ids]) {
        const entry = live(id);
        if (entry) list.push(JSON.parse(entry.json) as SessionRecord);
      }
      return list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },
    async deleteByUser(userId, opts = {}) {
      const ids = byUser.get(userId);
      if (!ids) return 0;
      let count = 0;
      for (const id of [...ids]) {
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
