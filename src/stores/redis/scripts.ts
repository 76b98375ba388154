// The Lua scripts of the Redis store on one record: one atomic round trip per write. See the key layout in
// keys.ts. Each store rule comes from its file in stores/rules/, Lua beside the TypeScript (liveness,
// activity, eviction, refresh step). Two more rules hold in every script:
// - Memory limits (maxmemory + noeviction): Redis refuses a script only at its first write, and only when
//   that write is a command that may grow memory (HSET, ZADD; not DEL, ZREM, PEXPIRE, ZREMRANGEBYSCORE). So a
//   script that adds data (create, update) writes the record first: under OOM it is refused whole, before
//   any change; one that only moves fields (touch, refresh) starts with PEXPIRE, so it still works when full.
// - Eviction (any maxmemory-policy): a record whose index entry is gone is refused and deleted when read,
//   so a session can never be reachable but unlisted (and so missed by deleteByUser).
import { createHash } from 'node:crypto';
import { ACTIVITY_LUA } from '../rules/activity.js';
import { EVICTION_LUA } from '../rules/eviction.js';
import { LIVENESS_LUA } from '../rules/liveness.js';
import { REFRESH_STEP_LUA } from '../rules/refresh-step.js';
import { reasonSuffix } from '../end-reason.js';

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  source: string;
  sha: string;
}

/** A script with its SHA-1. */
export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// Sets the index key to live as long as its longest-lived member.
/**
 * The index is the truth for "which sessions does this user have" (keys.ts): a record whose index entry is gone
 * (a memory policy evicted it) is deleted where it is found, and reads as absent. `ix`: the index key the record
 * names (false when the field is missing).
 */
export const INDEXED_LUA = `
local function indexedOrDrop(key, ix, id)
  if ix and redis.call('ZSCORE', ix, id) then return true end
  redis.call('DEL', key)
  return false
end
`;

const KEEP_INDEX = `
local function keepIndex(ix, now)
  local last = redis.call('ZRANGE', ix, -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) > now then redis.call('PEXPIRE', ix, math.floor(tonumber(last[2]) - now)) end
end
`;

/**
 * Inserts a record (refusing an existing id) under the per-user cap (rule "per-user cap", stores/rules/eviction.ts:
 * by expiry, then creation, then id; the creation time is the hash field `ca`, written here, or for a record
 * written before `ca` existed its JSON's `createdAt`), indexes it, prunes expired index members, publishes evicted ids (reason `evicted`). With a replaced
 * id (ARGV[17], '' for none: the user's live session this one replaces), that session is not counted and is
 * deleted (and published) with the insert; when it is not a live, indexed session of the user nothing is written.
 * KEYS: record, index. ARGV: now, json, version, userId, ls, ie, ex, ae, id, rg, rt, re, maxPerUser (0: none),
 * overLimit, channel, record key prefix, replaces, ru (the refresh state's previous generation, '' for none), ca (createdAt). Returns {0} for an existing id, {2} when refused, {3} when
 * the replaced session is not live, else {1, evicted ids...}.
 */
export const CREATE = script(`${KEEP_INDEX}${LIVENESS_LUA}${EVICTION_LUA}
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local replaces = ARGV[17]
if replaces ~= '' then
  local r = redis.call('HMGET', ARGV[16] .. replaces, 'u', 'ex')
  if r[1] ~= ARGV[4] or not isLive(r[2], now) or not redis.call('ZSCORE', KEYS[2], replaces) then return {3} end
end
local max = tonumber(ARGV[13])
local victims, orphans = {}, {}
local others = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
if replaces ~= '' then others = others - 1 end
if max > 0 and others + 1 > max then
  local alive = {}
  local members = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'WITHSCORES')
  for i = 1, #members, 2 do
    local id = members[i]
    if id ~= replaces then
      local h = redis.call('HMGET', ARGV[16] .. id, 'ex', 'ca')
      if h[1] then
        local ca = h[2] and tonumber(h[2]) or tonumber(cjson.decode(redis.call('HGET', ARGV[16] .. id, 'j')).createdAt)
        alive[#alive + 1] = {id = id, ex = tonumber(members[i + 1]), ca = ca, at = i}
      else
        orphans[#orphans + 1] = id
      end
    end
  end
  if #alive + 1 > max then
    if ARGV[14] == 'refuse' then return {2} end
    victims = pickEvictions(alive, max)
  end
end
local ex = tonumber(ARGV[7])
if ex <= now then
  -- a record born expired is not written; the session it replaces still ends (it was replaced)
  if replaces ~= '' then
    redis.call('DEL', ARGV[16] .. replaces)
    redis.call('ZREM', KEYS[2], replaces)
    redis.call('PUBLISH', ARGV[15], replaces .. '${reasonSuffix('evicted')}')
  end
  return {1}
end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'v', ARGV[3], 'u', ARGV[4], 'ls', ARGV[5], 'ie', ARGV[6], 'ex', ARGV[7], 'ae', ARGV[8], 'ix', KEYS[2], 'rg', ARGV[10], 'rt', ARGV[11], 're', ARGV[12], 'ru', ARGV[18], 'ca', ARGV[19])
redis.call('PEXPIRE', KEYS[1], ex - now)
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[9])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(orphans) do redis.call('ZREM', KEYS[2], id) end
local ended = {}
for _, id in ipairs(victims) do
  redis.call('DEL', ARGV[16] .. id)
  redis.call('ZREM', KEYS[2], id)
  ended[#ended + 1] = id
end
if replaces ~= '' then
  redis.call('DEL', ARGV[16] .. replaces)
  redis.call('ZREM', KEYS[2], replaces)
  ended[#ended + 1] = replaces
end
if #ended > 0 then redis.call('PUBLISH', ARGV[15], table.concat(ended, ',') .. '${reasonSuffix('evicted')}') end
keepIndex(KEYS[2], now)
local out = {1}
for _, id in ipairs(victims) do out[#out + 1] = id end
return out
`);

/**
 * Compare-and-set on version and user (rule "activity", stores/rules/activity.ts); never re-creates a missing,
 * expired or unindexed record; publishes the id as changed. KEYS: record, index. ARGV: now, json, version,
 * userId, ls, ie, ex, ae, id, rg, rt, re, expectedVersion, channel, ru
 */
export const UPDATE = script(`${KEEP_INDEX}${INDEXED_LUA}${LIVENESS_LUA}${ACTIVITY_LUA}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'v', 'u', 'ex', 'ls', 'ie')
if not f[1] or not isLive(f[3], now) or f[1] ~= ARGV[13] or f[2] ~= ARGV[4] then return 0 end
if not indexedOrDrop(KEYS[1], KEYS[2], ARGV[9]) then return 0 end
-- Activity never moves backwards: a touch that landed after the writer read the record wins.
local ls, ie, ex = mergeActivity(f[4], f[5], f[3], ARGV[5], ARGV[6], ARGV[7])
if not isLive(ex, now) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[9])
  redis.call('PUBLISH', ARGV[14], ARGV[9] .. '${reasonSuffix('expired')}')
  return 1
end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'v', ARGV[3], 'ls', ls, 'ie', ie, 'ex', ex, 'ae', ARGV[8], 'rg', ARGV[10], 'rt', ARGV[11], 're', ARGV[12], 'ru', ARGV[15])
redis.call('PEXPIRE', KEYS[1], tonumber(ex) - now)
redis.call('ZADD', KEYS[2], ex, ARGV[9])
keepIndex(KEYS[2], now)
redis.call('PUBLISH', ARGV[14], '~c:' .. ARGV[9])
return 1
`);

/**
 * One refresh step (rule "refresh step", stores/rules/refresh-step.ts, whose Lua is REFRESH_STEP_LUA): a rotation
 * when the presented generation is the newest, a replacement of the unused newest when it is the previous one
 * after the grace window, nothing otherwise. Publishes the id as changed. KEYS: record. ARGV: now, from, at,
 * refreshExpiresAt, idleExpiresAt, id, reuseGrace, channel. Returns nil when there is no live (indexed)
 * record, else {advanced, json, ls, ie, ex, v, rg, rt, re, ru}.
 */
export const ADVANCE_REFRESH = script(`${KEEP_INDEX}${INDEXED_LUA}${LIVENESS_LUA}${REFRESH_STEP_LUA}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'j', 'v', 'ls', 'ie', 'ex', 'ae', 'rg', 'rt', 're', 'ix', 'ru')
if not f[1] or not isLive(f[5], now) then return false end
if not indexedOrDrop(KEYS[1], f[10], ARGV[6]) then return false end
local at = tonumber(ARGV[3])
local ae = tonumber(f[6])
local ru = f[11] or ''
local unchanged = {0, f[1], f[3], f[4], f[5], f[2], f[7] or '', f[8] or '', f[9] or '', ru}
if not f[7] or f[7] == '' or not refreshOpen(tonumber(f[9]), ae, tonumber(f[5]), at) then return unchanged end
-- the family's first generation matters only for a record written before 'ru' existed
local first = 0
if ru == '' then first = tonumber(string.match(f[1], '"firstGeneration":(%d+)') or '0') end
local previous = refreshApplies(tonumber(f[7]), ru, tonumber(f[8]), tonumber(ARGV[2]), at, tonumber(ARGV[7]), first)
if previous == nil then return unchanged end
local v = tostring(tonumber(f[2]) + 1)
local ls, ie, ex = refreshActivity(f[1], f[3], f[4], f[5], ae, ARGV[3], tonumber(ARGV[5]))
local rg = tostring(tonumber(f[7]) + 1)
local re = refreshExpiry(tonumber(ARGV[4]), ae)
ru = tostring(previous)
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ex) - now))
redis.call('HSET', KEYS[1], 'v', v, 'ls', ls, 'ie', ie, 'ex', ex, 'rg', rg, 'rt', ARGV[3], 're', re, 'ru', ru)
redis.call('ZADD', f[10], 'XX', ex, ARGV[6])
keepIndex(f[10], now)
redis.call('PUBLISH', ARGV[8], '~c:' .. ARGV[6])
return {1, f[1], ls, ie, ex, v, rg, ARGV[3], re, ru}
`);

/** Moves activity fields and TTL of a live record when the touch is newer (rule "activity", stores/rules/activity.ts); data and version untouched. KEYS: record. ARGV: now, ls, ie, ex, id */
export const TOUCH = script(`${KEEP_INDEX}${LIVENESS_LUA}${ACTIVITY_LUA}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'ls', 'ex', 'ix')
if not f[1] or not isLive(f[2], now) or not touchApplies(f[1], ARGV[2]) then return 0 end
local ex = tonumber(ARGV[4])
if not isLive(ex, now) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', f[3], ARGV[5])
  return 1
end
redis.call('PEXPIRE', KEYS[1], ex - now)
redis.call('HSET', KEYS[1], 'ls', ARGV[2], 'ie', ARGV[3], 'ex', ARGV[4])
redis.call('ZADD', f[3], 'XX', ARGV[4], ARGV[5])
keepIndex(f[3], now)
return 1
`);

/**
 * Deletes a record and its index entry and publishes its id, with the reason's suffix (`,~signed_out`; '' for
 * none, see stores/end-reason.ts); 1 if it was live. KEYS: record. ARGV: now, id, channel, reason suffix
 */
export const DELETE = script(`
local f = redis.call('HMGET', KEYS[1], 'ex', 'ix')
if not f[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', f[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2] .. ARGV[4])
if tonumber(f[1]) <= tonumber(ARGV[1]) then return 0 end
return 1
`);
