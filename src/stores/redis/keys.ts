// The Redis store's key layout and session ids: which keys a record and a user's index live under, and how an
// id names its user's Cluster slot.
import { createHash, randomBytes } from 'node:crypto';

/**
 * Key layout, and why session ids carry a hash tag of their user.
 *
 * A user's records and their per-user index must share one Cluster hash slot, so that create, delete,
 * deleteByUser and listByUser are each one atomic Lua script (no CROSSSLOT). `get(id)` knows only the
 * id, so the slot has to be derivable from the id alone: `newSessionId(userId)` (the store's `newId`) mints ids whose first three
 * characters are a tag taken from SHA-256(userId) (18 bits; the other 19 characters are 114 random bits).
 *
 *   <prefix>{<tag>}:s:<id>      hash  j (record JSON), v, u, ls, ie, ex, ae, ix (index key), rg, rt, re, ru, ca   PX = expiresAt - now
 *   <prefix>{<tag>}:u:<userId>  zset  member id, score expiresAt                            PX = its latest member
 *   <prefix>revoked             pub/sub channel: ids of deleted records, `~c:` ids of changed ones, `~u:` a
 *                               user whose sessions all ended, `~h:` heartbeats (see broadcast.ts)
 *
 * The activity fields (ls, ie, ex), the version (v) and the refresh state (rg generation, rt rotatedAt,
 * re refresh expiry, ru the generation the current one was rotated from) live beside the JSON so `touch` and
 * `advanceRefresh` move them without rewriting the record, and `ca` (createdAt, written at create) orders the
 * per-user cap's evictions without decoding it: Lua's cjson would turn `[]` into `{}` and round
 * numbers, so no script re-encodes the record (ADVANCE_REFRESH decodes it only to read a session's own
 * `idleTimeout`, and matches `firstGeneration` in a record written before `ru` existed; CREATE decodes a
 * record written before `ca` existed for its `createdAt`). Scripts that
 * follow the index (touch, delete, list, deleteByUser) open keys named in the index: every such key
 * carries the same `{tag}` as the key they were given, so they stay in its slot by construction.
 *
 * The index is the truth for "which sessions does this user have": a record whose index entry is missing
 * (a memory policy evicted the index) reads as absent and is deleted, so no session can be reachable but
 * unlisted, and `deleteByUser` ends every session that can still be used.
 */

/** The shape of an id the store accepts; anything else is no session (never a key). */
export const ID_SHAPE = /^[A-Za-z0-9_-]{3,64}$/;
const TAG_LENGTH = 3;

/** The hash tag of a user: 3 base64url characters of SHA-256(userId). */
export function tagOf(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, TAG_LENGTH);
}

/** A new session id for `userId`: its tag, then 19 random base64url characters (114 bits). */
export function newSessionId(userId: string): string {
  return tagOf(userId) + randomBytes(15).toString('base64url').slice(0, 19);
}

/** True when `id` has a session id's shape and carries the user tag `tag` (so it lies in that user's slot). */
export function ownedBy(id: string, tag: string): boolean {
  return id.slice(0, TAG_LENGTH) === tag && ID_SHAPE.test(id);
}

/** The key names under `prefix`: a record's, the record prefix of a user's tag, and a user's index. */
export function redisKeys(prefix: string): {
  recordPrefix(tag: string): string;
  recordKey(id: string): string;
  indexKey(userId: string, tag?: string): string;
} {
  const recordPrefix = (tag: string): string => `${prefix}{${tag}}:s:`;
  return {
    recordPrefix,
    recordKey: (id) => `${recordPrefix(id.slice(0, TAG_LENGTH))}${id}`,
    indexKey: (userId, tag = tagOf(userId)) => `${prefix}{${tag}}:u:${userId}`,
  };
}
