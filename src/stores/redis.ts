import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { AuthError, type SessionActivity, type SessionRecord, type SessionStore } from 'latchkey';
import type { StoreBroadcast } from 'latchkey/store';
import { ADVANCE_REFRESH, CREATE, DELETE, DELETE_BY_USER, LIST, TOUCH, UPDATE, type Script } from './redis-lua.js';

/**
 * Key layout, and why session ids carry a hash tag of their user.
 *
 * A user's records and their per-user index must share one Cluster hash slot, so that create, delete,
 * deleteByUser and listByUser are each one atomic Lua script (no CROSSSLOT). `get(id)` knows only the
 * id, so the slot has to be derivable from the id alone: `newId(userId)` mints ids whose first three
 * characters are a tag taken from SHA-256(userId) (18 bits; the other 19 characters are 114 random bits).
 *
 *   <prefix>{<tag>}:s:<id>      hash  j (record JSON), v, u, ls, ie, ex, ae, ix (index key), rg, rt, re  PX = expiresAt - now
 *   <prefix>{<tag>}:u:<userId>  zset  member id, score expiresAt                            PX = its latest member
 *   <prefix>revoked             pub/sub channel: comma-separated ids of deleted records
 *
 * The activity fields (ls, ie, ex), the version (v) and the refresh state (rg generation, rt rotatedAt,
 * re refresh expiry) live beside the JSON so `touch` and `advanceRefresh` move them without rewriting the record: Lua's
 * cjson would turn `[]` into `{}` and round numbers, so scripts never decode the record. Scripts that
 * follow the index (touch, delete, list, deleteByUser) open keys named in the index: every such key
 * carries the same `{tag}` as the key they were given, so they stay in its slot by construction.
 */

/** Options for `redisStore`. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster`. The store never closes it; see docs/redis.md for the options we recommend. */
  client: Redis | Cluster;
  /** Prefix of every key and of the revocation channel. May not contain `{` or `}`. Default `'latchkey:'`. */
  prefix?: string;
  /** Longest wait for one store call, in ms; past it the call fails with `store_unavailable`. Default `1000`. */
  commandTimeout?: number;
}

/** A Redis-backed session store: every method of `SessionStore`, including the optional ones. */
export interface RedisStore extends SessionStore {
  newId(userId: string): string;
  subscribe(listener: (message: StoreBroadcast | null) => void): () => void;
  /** Ends the subscriber connection the store opened; the client you passed stays open. */
  close(): Promise<void>;
}

const ID_SHAPE = /^[A-Za-z0-9_-]{3,64}$/;
const TAG_LENGTH = 3;

/** The hash tag of a user: 3 base64url characters of SHA-256(userId). */
function tagOf(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, TAG_LENGTH);
}

function unavailable(cause: unknown): AuthError {
  return new AuthError('store_unavailable', undefined, { cause });
}

/** A record read back from its hash: the JSON with the fields that scripts keep beside it laid over it. */
function revive(fields: readonly (string | null | undefined)[]): SessionRecord {
  const [json, ls, ie, ex, v, rg, rt, re] = fields;
  const record = JSON.parse(json!) as SessionRecord;
  record.lastSeenAt = Number(ls);
  record.idleExpiresAt = Number(ie);
  record.expiresAt = Number(ex);
  if (v) record.version = Number(v);
  if (record.refresh && rg && rt && re) record.refresh = { ...record.refresh, generation: Number(rg), rotatedAt: Number(rt), expiresAt: Number(re) };
  return record;
}

/**
 * A session store on Redis (ioredis `Redis` or `Cluster`): one round trip per call, Lua compare-and-set,
 * Redis TTLs, a user's keys in one Cluster slot, revocations broadcast over pub/sub, and every call
 * bounded by `commandTimeout` (then `store_unavailable`, 503: fail closed).
 * @example
 * import Redis from 'ioredis';
 * import { redisStore } from 'latchkey/redis';
 * const auth = createAuth({ store: redisStore({ client: new Redis(process.env.REDIS_URL, { enableAutoPipelining: true }) }) });
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const client = options?.client;
  if (typeof client !== 'object' || client === null || typeof client.evalsha !== 'function') {
    throw new TypeError('latchkey: redisStore needs { client }: an ioredis Redis or Cluster instance.');
  }
  const prefix = options.prefix ?? 'latchkey:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new TypeError('latchkey: redisStore prefix must be a string without { or } (latchkey chooses the Cluster hash tags).');
  }
  const timeout = options.commandTimeout ?? 1000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError('latchkey: redisStore commandTimeout must be a positive number of milliseconds.');
  const channel = `${prefix}revoked`;

  const recordPrefix = (tag: string): string => `${prefix}{${tag}}:s:`;
  const recordKey = (id: string): string => `${recordPrefix(id.slice(0, TAG_LENGTH))}${id}`;
  const indexKey = (userId: string): string => `${prefix}{${tagOf(userId)}}:u:${userId}`;

  // Once the client has been connected, a call made while it is not (an outage) fails at once instead of
  // waiting in ioredis' offline queue, where it could still run after we reported it failed.
  let seenReady = false;

  /** Settles within `timeout`: a late or failed answer becomes `store_unavailable`, never a hang. */
  function bounded<T>(call: () => Promise<T>): Promise<T> {
    if (client.status === 'ready') seenReady = true;
    else if (seenReady) return Promise.reject(unavailable(new Error(`Redis connection is ${client.status}`)));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(unavailable(new Error(`Redis did not answer within ${timeout} ms`))), timeout);
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(unavailable(error));
        },
      );
    });
  }

  /** EVALSHA, loading the script with EVAL only when this Redis node has not seen it yet. */
  function run(lua: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return bounded(async () => {
      try {
        return await client.evalsha(lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return client.eval(lua.source, keys.length, ...keys, ...args);
        throw error;
      }
    });
  }

  function recordArgs(record: SessionRecord): (string | number)[] {
    const r = record.refresh;
    return [JSON.stringify(record), record.version, record.userId, record.lastSeenAt, record.idleExpiresAt, record.expiresAt, record.absoluteExpiresAt, record.id, r ? r.generation : '', r ? r.rotatedAt : '', r ? r.expiresAt : ''];
  }

  // Revocation broadcast: one subscriber connection (a duplicate of the client), shared by all listeners.
  const listeners = new Set<(message: StoreBroadcast | null) => void>();
  let subscriber: Redis | Cluster | null = null;
  let subscribed = false;

  function notify(message: StoreBroadcast | null): void {
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  function startSubscriber(): Redis | Cluster {
    // The subscriber may queue its SUBSCRIBE until connected; it sends nothing else.
    const sub = client.isCluster ? (client as Cluster).duplicate([], { enableOfflineQueue: true }) : (client as Redis).duplicate({ enableOfflineQueue: true, autoResubscribe: true });
    const lost = (): void => {
      if (!subscribed) return;
      subscribed = false;
      notify(null); // messages may be missed until we are back: drop every cached answer
    };
    sub.on('ready', () => {
      sub.subscribe(channel).then(
        () => {
          subscribed = true;
          notify(null); // revocations sent while we were away were missed
        },
        () => {},
      );
    });
    sub.on('close', lost);
    sub.on('end', lost);
    sub.on('error', () => {}); // reconnects on its own; callers see store_unavailable from their own calls
    sub.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      const ids = message.split(',').filter((id) => id !== '');
      if (ids.length > 0) notify({ revoked: ids, changed: [] });
    });
    return sub;
  }

  function stopSubscriber(): void {
    const sub = subscriber;
    subscriber = null;
    subscribed = false;
    sub?.disconnect();
  }

  return {
    newId(userId) {
      return tagOf(userId) + randomBytes(15).toString('base64url').slice(0, 19);
    },

    async create(record) {
      if (record.id.slice(0, TAG_LENGTH) !== tagOf(record.userId) || !ID_SHAPE.test(record.id)) {
        throw new TypeError('latchkey: redisStore needs session ids made by its newId(userId), so a user keeps one Cluster slot.');
      }
      const created = await run(CREATE, [recordKey(record.id), indexKey(record.userId)], [Date.now(), ...recordArgs(record)]);
      if (created !== 1) throw new Error('latchkey: a session with this id already exists.');
    },

    async get(id) {
      if (!ID_SHAPE.test(id)) return null;
      const fields = await bounded(() => client.hmget(recordKey(id), 'j', 'ls', 'ie', 'ex', 'v', 'rg', 'rt', 're'));
      const [json, ls, ie, ex] = fields;
      if (!json || !ls || !ie || !ex || Number(ex) <= Date.now()) return null;
      return revive(fields);
    },

    async advanceRefresh(id, step) {
      if (!ID_SHAPE.test(id)) return null;
      const reply = (await run(ADVANCE_REFRESH, [recordKey(id)], [Date.now(), step.from, step.at, step.refreshExpiresAt, step.idleExpiresAt, id])) as
        | [number, ...string[]]
        | null;
      if (!reply) return null;
      const [advanced, ...fields] = reply;
      return { advanced: advanced === 1, record: revive(fields) };
    },

    async update(record, expectedVersion) {
      // An id minted for another user cannot hold this user's record (and its index is in another slot).
      if (!ID_SHAPE.test(record.id) || record.id.slice(0, TAG_LENGTH) !== tagOf(record.userId)) return false;
      const keys = [recordKey(record.id), indexKey(record.userId)];
      return (await run(UPDATE, keys, [Date.now(), ...recordArgs(record), expectedVersion])) === 1;
    },

    async touch(id, activity: SessionActivity) {
      if (!ID_SHAPE.test(id)) return;
      await run(TOUCH, [recordKey(id)], [Date.now(), activity.lastSeenAt, activity.idleExpiresAt, activity.expiresAt, id]);
    },

    async delete(id) {
      if (!ID_SHAPE.test(id)) return false;
      return (await run(DELETE, [recordKey(id)], [Date.now(), id, channel])) === 1;
    },

    async listByUser(userId) {
      const flat = (await run(LIST, [indexKey(userId)], [Date.now(), recordPrefix(tagOf(userId))])) as string[];
      const records: SessionRecord[] = [];
      for (let i = 0; i + 7 < flat.length; i += 8) records.push(revive(flat.slice(i, i + 8)));
      return records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },

    async deleteByUser(userId, opts = {}) {
      const count = await run(DELETE_BY_USER, [indexKey(userId)], [Date.now(), opts.except ?? '', channel, recordPrefix(tagOf(userId))]);
      return Number(count);
    },

    subscribe(listener) {
      listeners.add(listener);
      subscriber ??= startSubscriber();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopSubscriber();
      };
    },

    async close() {
      listeners.clear();
      stopSubscriber();
    },
  };
}
