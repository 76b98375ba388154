// The Lua scripts of the Redis store: one atomic round trip per write. See the key layout in redis.ts.
import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// Sets the index key to live as long as its longest-lived member.
const KEEP_INDEX = `
local function keepIndex(ix, now)
  local last = redis.call('ZRANGE', ix, -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) > now then redis.call('PEXPIRE', ix, math.floor(tonumber(last[2]) - now)) end
end
`;

/** Inserts a record (refusing an existing id), indexes it, prunes expired index members. KEYS: record, index. ARGV: now, json, version, userId, ls, ie, ex, ae, id, rg, rt, re */
export const CREATE = script(`${KEEP_INDEX}
local now = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local ex = tonumber(ARGV[7])
if ex <= now then return 1 end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'v', ARGV[3], 'u', ARGV[4], 'ls', ARGV[5], 'ie', ARGV[6], 'ex', ARGV[7], 'ae', ARGV[8], 'ix', KEYS[2], 'rg', ARGV[10], 'rt', ARGV[11], 're', ARGV[12])
redis.call('PEXPIRE', KEYS[1], ex - now)
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[9])
keepIndex(KEYS[2], now)
return 1
`);

/** Compare-and-set on version and user (rule: mergeActivity in stores/kit.ts); never re-creates a missing or expired record. KEYS: record, index. ARGV: now, json, version, userId, ls, ie, ex, ae, id, rg, rt, re, expectedVersion */
export const UPDATE = script(`${KEEP_INDEX}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'v', 'u', 'ex', 'ls', 'ie')
if not f[1] or tonumber(f[3]) <= now or f[1] ~= ARGV[13] or f[2] ~= ARGV[4] then return 0 end
-- Activity never moves backwards: a touch that landed after the writer read the record wins.
local ls, ie, ex = ARGV[5], ARGV[6], ARGV[7]
if tonumber(f[4]) > tonumber(ls) then ls, ie, ex = f[4], f[5], f[3] end
if tonumber(ex) <= now then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[9])
  return 1
end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'v', ARGV[3], 'ls', ls, 'ie', ie, 'ex', ex, 'ae', ARGV[8], 'rg', ARGV[10], 'rt', ARGV[11], 're', ARGV[12])
redis.call('PEXPIRE', KEYS[1], tonumber(ex) - now)
redis.call('ZADD', KEYS[2], ex, ARGV[9])
keepIndex(KEYS[2], now)
return 1
`);

/**
 * Rotates the refresh generation when the presented one is current and nothing has expired at the step's
 * time (rule: applyRefreshStep in stores/kit.ts): one round trip. KEYS: record. ARGV: now, from, at, refreshExpiresAt,
 * idleExpiresAt, id. Returns nil when there is no live record, else [advanced, json, ls, ie, ex, v, rg, rt, re].
 */
export const ADVANCE_REFRESH = script(`${KEEP_INDEX}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'j', 'v', 'ls', 'ie', 'ex', 'ae', 'rg', 'rt', 're', 'ix')
if not f[1] or tonumber(f[5]) <= now then return false end
local at = tonumber(ARGV[3])
local ae = tonumber(f[6])
if not f[7] or f[7] == '' or tonumber(f[7]) ~= tonumber(ARGV[2]) or tonumber(f[9]) <= at or ae <= at or tonumber(f[5]) <= at then
  return {0, f[1], f[3], f[4], f[5], f[2], f[7] or '', f[8] or '', f[9] or ''}
end
local v = tostring(tonumber(f[2]) + 1)
local ls, ie, ex = f[3], f[4], f[5]
if at > tonumber(f[3]) then
  -- a session with its own idle timeout (signIn lifetime) keeps it in the record JSON
  local idleUntil = tonumber(ARGV[5])
  if string.find(f[1], '"idleTimeout":', 1, true) then
    local it = cjson.decode(f[1]).idleTimeout
    if type(it) == 'number' then idleUntil = at + it end
  end
  ls = ARGV[3]
  ie = tostring(math.min(idleUntil, ae))
  ex = ie
end
local rg = tostring(tonumber(f[7]) + 1)
local re = tostring(math.min(tonumber(ARGV[4]), ae))
redis.call('HSET', KEYS[1], 'v', v, 'ls', ls, 'ie', ie, 'ex', ex, 'rg', rg, 'rt', ARGV[3], 're', re)
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ex) - now))
redis.call('ZADD', f[10], 'XX', ex, ARGV[6])
keepIndex(f[10], now)
return {1, f[1], ls, ie, ex, v, rg, ARGV[3], re}
`);

/** Moves activity fields and TTL of a live record when the touch is newer (rule: touchApplies in stores/kit.ts); data and version untouched. KEYS: record. ARGV: now, ls, ie, ex, id */
export const TOUCH = script(`${KEEP_INDEX}
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'ls', 'ex', 'ix')
if not f[1] or tonumber(f[2]) <= now or tonumber(ARGV[2]) <= tonumber(f[1]) then return 0 end
local ex = tonumber(ARGV[4])
if ex <= now then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', f[3], ARGV[5])
  return 1
end
redis.call('HSET', KEYS[1], 'ls', ARGV[2], 'ie', ARGV[3], 'ex', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ex - now)
redis.call('ZADD', f[3], 'XX', ARGV[4], ARGV[5])
keepIndex(f[3], now)
return 1
`);

/** Deletes a record and its index entry and publishes its id; 1 if it was live. KEYS: record. ARGV: now, id, channel */
export const DELETE = script(`
local f = redis.call('HMGET', KEYS[1], 'ex', 'ix')
if not f[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', f[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
if tonumber(f[1]) <= tonumber(ARGV[1]) then return 0 end
return 1
`);

/** Deletes a user's records but one, publishes their ids, returns how many were live. KEYS: index. ARGV: now, except ('' for none), channel, record key prefix */
export const DELETE_BY_USER = script(`
local now = tonumber(ARGV[1])
local gone = {}
local count = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    local key = ARGV[4] .. id
    local ex = redis.call('HGET', key, 'ex')
    if ex then
      redis.call('DEL', key)
      gone[#gone + 1] = id
      if tonumber(ex) > now then count = count + 1 end
    end
    redis.call('ZREM', KEYS[1], id)
  end
end
if #gone > 0 then redis.call('PUBLISH', ARGV[3], table.concat(gone, ',')) end
return count
`);

/** A user's live records (rule: isLive in stores/kit.ts, via the store expiry `ex`), pruning dead index members. KEYS: index. ARGV: now, record key prefix. Returns [json, ls, ie, ex, v, rg, rt, re] per live record. */
export const LIST = script(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'j', 'ls', 'ie', 'ex', 'v', 'rg', 'rt', 're')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif tonumber(f[4]) > now then
    for i = 1, 8 do out[#out + 1] = f[i] or '' end
  end
end
return out
`);
