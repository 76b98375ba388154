import type { Cluster, Redis } from 'ioredis';
import type { Duration } from '../../core/duration.js';
import { checkKeys, positive } from '../../core/option-kit.js';
import type { SessionRecord } from '../../core/types.js';
import type { SessionActivity, SessionStore, StoreBroadcast } from '../contract.js';
import { createOutcome } from '../rules/kit.js';
import { readShared, type SharedReads } from '../fast-read.js';
import { redisCaller } from './call.js';
import { ADVANCE_REFRESH, CREATE, DELETE, TOUCH, UPDATE } from './scripts.js';
import { MAX_BATCH, sharedBatcher } from './batch.js';
import { GET, GET_SHARED_MANY, records, revive, reviveShared } from './scripts-read.js';
import { DELETE_BY_USER, LIST, LIST_IDS } from './scripts-user.js';
import { checkPolicy, type PolicyReport } from './policy.js';
import { redisBroadcast } from './broadcast.js';
import { reasonSuffix } from '../end-reason.js';
import { sharedDecoder } from './shared-decode.js';
import { ID_SHAPE, newSessionId, ownedBy, redisKeys, tagOf } from './keys.js';

export type { PolicyReport } from './policy.js';

/** Options for `redisStore`. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster`. The store never closes it; see docs/redis.md for the options we recommend. */
  client: Redis | Cluster;
  /** Prefix of every key and of the revocation channel. May not contain `{` or `}`. Default `'latchkey:'`. */
  prefix?: string;
  /** Longest wait for one store call (a Duration, as in createAuth); past it the call fails with `store_unavailable`. Default `'1s'`. */
  commandTimeout?: Duration;
  /** How often a subscribed store publishes a heartbeat through its channel to confirm delivery. Default `'500ms'`. */
  heartbeat?: Duration;
}

/** A Redis-backed session store: every method of `SessionStore`, including the optional ones. */
export interface RedisStore extends SessionStore, SharedReads {
  newId(userId: string): string;
  subscribe(listener: (message: StoreBroadcast | null) => void): () => void;
  broadcastLag(): number;
  /** Reads Redis' memory policy and says whether it may evict sessions (the store also warns once on first use). */
  checkPolicy(): Promise<PolicyReport>;
  /** Ends the subscriber connection and timers the store opened; the client you passed stays open. */
  close(): Promise<void>;
}

/** Most records one script reads or deletes: ~1 ms of Redis time, however many sessions a user has. */
const PAGE = 100;
const OPTIONS = ['client', 'prefix', 'commandTimeout', 'heartbeat'];

/** A timing option: above zero and at most a minute (a larger number is a millisecond count written as seconds). */
function duration(value: unknown, fallback: Duration, name: string): number {
  return positive(value, fallback, `redisStore ${name}`, { max: 60_000 });
}

/**
 * A session store on Redis (ioredis `Redis` or `Cluster`): one round trip per call, Lua compare-and-set,
 * Redis TTLs, a user's keys in one Cluster slot, revocations and changes broadcast over pub/sub with a
 * heartbeat, and every call bounded by `commandTimeout` (then `store_unavailable`, 503: fail closed).
 * @example
 * import Redis from 'ioredis';
 * const auth = createAuth({ store: redisStore({ client: new Redis(process.env.REDIS_URL, { enableAutoPipelining: true }) }) });
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const client = options?.client;
  if (typeof client !== 'object' || client === null || typeof client.evalsha !== 'function') {
    throw new TypeError('latchkey: redisStore needs { client }: an ioredis Redis or Cluster instance.');
  }
  checkKeys(options, OPTIONS, 'redisStore', (key, known) => `unknown redisStore option ${key}; expected one of ${known.join(', ')}.`);
  const prefix = options.prefix ?? 'latchkey:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new TypeError('latchkey: redisStore prefix must be a string without { or } (latchkey chooses the Cluster hash tags).');
  }
  const timeout = duration(options.commandTimeout, '1s', 'commandTimeout');
  const heartbeat = duration(options.heartbeat, '500ms', 'heartbeat');
  const channel = `${prefix}revoked`;
  const caller = redisCaller(client, timeout);
  const decoder = sharedDecoder();
  const { bounded, run } = caller;
  // The per-request reads: one command per event-loop turn on a single node; one per read on a Cluster, whose keys lie in many slots.
  const readFields = sharedBatcher((keys, args) => run(GET_SHARED_MANY, keys, args), client.isCluster ? 1 : MAX_BATCH);
  const broadcast = redisBroadcast({ client, channel, heartbeat, publish: (message) => bounded(() => client.publish(channel, message)) });

  const { recordPrefix, recordKey, indexKey } = redisKeys(prefix);

  // Warn once, on first use, when Redis may evict sessions (the app can also call checkPolicy and refuse).
  let policyChecked = false;
  function warnOnPolicy(): void {
    if (policyChecked) return;
    policyChecked = true;
    bounded(() => checkPolicy(client)).then(
      (report) => report.safe || process.emitWarning(report.reason, { code: 'LATCHKEY_REDIS_POLICY' }),
      () => {
        policyChecked = false; // try again on a later call
      },
    );
  }

  function recordArgs(record: SessionRecord): (string | number)[] {
    const r = record.refresh;
    return [JSON.stringify(record), record.version, record.userId, record.lastSeenAt, record.idleExpiresAt, record.expiresAt, record.absoluteExpiresAt, record.id, r ? r.generation : '', r ? r.rotatedAt : '', r ? r.expiresAt : ''];
  }

  /** The refresh state's previous generation as the hash keeps it (`ru`): '' when the record holds none (the script derives it then). */
  function previousArg(record: SessionRecord): string | number {
    return record.refresh?.previous ?? '';
  }

  /** Every id in a large index, by ZSCAN: each page bounded, and every member present throughout is seen. */
  async function scanIndex(index: string): Promise<string[]> {
    const ids = new Set<string>();
    let cursor = '0';
    do {
      const [next, page] = await bounded(() => client.zscan(index, cursor, 'COUNT', PAGE));
      cursor = next;
      for (let i = 0; i < page.length; i += 2) ids.add(page[i]!);
    } while (cursor !== '0');
    return [...ids];
  }

  return {
    replaceOnCreate: true,
    newId: newSessionId,

    async create(record, opts = {}) {
      const tag = tagOf(record.userId);
      if (!ownedBy(record.id, tag)) {
        throw new TypeError('latchkey: redisStore needs session ids made by its newId(userId), so a user keeps one Cluster slot.');
      }
      warnOnPolicy();
      const cap = opts.maxPerUser ?? 0;
      const replaces = opts.replaces ?? '';
      // a replaced id of another user (another tag) or of no session's shape is never live: nothing is written
      if (replaces !== '' && !ownedBy(replaces, tag)) return createOutcome(opts, [], false, false);
      const args = [Date.now(), ...recordArgs(record), cap, opts.overLimit ?? 'evict', channel, recordPrefix(tag), replaces, previousArg(record), record.createdAt];
      const [status, ...evicted] = (await run(CREATE, [recordKey(record.id), indexKey(record.userId, tag)], args)) as [number, ...string[]];
      if (status === 0) throw new Error('latchkey: a session with this id already exists.');
      return createOutcome(opts, evicted, status === 2, status === 1);
    },

    async get(id) {
      if (!ID_SHAPE.test(id)) return null;
      warnOnPolicy();
      const fields = (await run(GET, [recordKey(id)], [Date.now(), id])) as string[] | null;
      return fields ? revive(fields) : null;
    },

    // The per-request cookie check: the same read without version and refresh state, decoding through the
    // reused parse (read-only result).
    // Not an async function: one promise fewer on every cookie request.
    [readShared](id: string) {
      if (!ID_SHAPE.test(id)) return Promise.resolve(null);
      warnOnPolicy();
      return readFields(recordKey(id), id).then((fields) => (fields ? reviveShared(fields, (json) => decoder.decode(id, json)) : null));
    },

    async advanceRefresh(id, step) {
      if (!ID_SHAPE.test(id)) return null;
      const args = [Date.now(), step.from, step.at, step.refreshExpiresAt, step.idleExpiresAt, id, step.reuseGrace ?? 0, channel];
      const reply = (await run(ADVANCE_REFRESH, [recordKey(id)], args)) as [number, ...string[]] | null;
      if (!reply) return null;
      const [advanced, ...fields] = reply;
      return { advanced: advanced === 1, record: revive(fields) };
    },

    async update(record, expectedVersion) {
      // An id minted for another user cannot hold this user's record (and its index is in another slot).
      const tag = tagOf(record.userId);
      if (!ownedBy(record.id, tag)) return false;
      const keys = [recordKey(record.id), indexKey(record.userId, tag)];
      return (await run(UPDATE, keys, [Date.now(), ...recordArgs(record), expectedVersion, channel, previousArg(record)])) === 1;
    },

    async touch(id, activity: SessionActivity) {
      if (!ID_SHAPE.test(id)) return;
      await run(TOUCH, [recordKey(id)], [Date.now(), activity.lastSeenAt, activity.idleExpiresAt, activity.expiresAt, id]);
    },

    async delete(id, opts = {}) {
      if (!ID_SHAPE.test(id)) return false;
      return (await run(DELETE, [recordKey(id)], [Date.now(), id, channel, reasonSuffix(opts.reason)])) === 1;
    },

    async listByUser(userId) {
      const tag = tagOf(userId);
      const index = indexKey(userId, tag);
      const prefixOf = recordPrefix(tag);
      const small = (await run(LIST, [index], [Date.now(), prefixOf, PAGE])) as string[] | null;
      let found: SessionRecord[];
      if (small) {
        found = records(small);
      } else {
        const ids = await scanIndex(index);
        found = [];
        for (let i = 0; i < ids.length; i += PAGE) found.push(...records((await run(LIST_IDS, [index], [Date.now(), prefixOf, ...ids.slice(i, i + PAGE)])) as string[]));
      }
      return found.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },

    async deleteByUser(userId, opts = {}) {
      const tag = tagOf(userId);
      const index = indexKey(userId, tag);
      const args = [opts.except ?? '', channel, recordPrefix(tag), PAGE, userId];
      let total = 0;
      // Page by page from the front of the index: each script deletes at most PAGE records. A sign-in that
      // keeps adding sessions cannot hold the loop forever: past the rounds the first answer called for, fail loudly.
      let rounds = Infinity;
      for (let round = 0; ; round++) {
        const [count, left] = (await run(DELETE_BY_USER, [index], [Date.now(), ...args])) as [number, number];
        total += count;
        if (left <= 0) return total;
        if (round === 0) rounds = 2 * Math.ceil(left / PAGE) + 2;
        if (round >= rounds) throw new Error('latchkey: deleteByUser could not keep up with new sessions of this user.');
      }
    },

    subscribe: (listener) => broadcast.subscribe(listener),
    broadcastLag: () => broadcast.lag(),
    checkPolicy: () => bounded(() => checkPolicy(client)),

    async close() {
      broadcast.close();
    },
  };
}
