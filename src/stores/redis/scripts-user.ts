// The Lua scripts of the Redis store on a user's index: each touches at most `batch` records, so no script
// blocks Redis for long however many sessions one user has (the store pages through larger indexes).
import { script } from './scripts.js';

/**
 * Deletes up to `batch` of a user's records (from the soonest to expire) but `except`, publishes their ids, and
 * when none is left publishes the user (`~u:`) so every instance drops what it cached about them. KEYS: index.
 * ARGV: now, except ('' for none), channel, record key prefix, batch, userId. Returns {live deleted, left}.
 */
export const DELETE_BY_USER = script(`
local now = tonumber(ARGV[1])
local batch = tonumber(ARGV[5])
local gone = {}
local count, seen = 0, 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, batch)) do
  if id ~= ARGV[2] and seen < batch then
    seen = seen + 1
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
local left = redis.call('ZCARD', KEYS[1])
if ARGV[2] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[2]) then left = left - 1 end
if left == 0 then redis.call('PUBLISH', ARGV[3], '~u:' .. ARGV[6]) end
return {count, left}
`);

/**
 * A user's live records (rule: isLive in stores/kit.ts, via the store expiry ex), pruning dead index members,
 * when the index holds at most `batch` ids; nil when it holds more (the store then pages with ZSCAN + LIST_IDS).
 * KEYS: index. ARGV: now, record key prefix, batch. Returns READ_FIELDS per record.
 */
export const LIST = script(`
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[3]) then return false end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'j', 'ls', 'ie', 'ex', 'v', 'rg', 'rt', 're', 'ru')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif tonumber(f[4]) > now then
    for i = 1, 9 do out[#out + 1] = f[i] or '' end
  end
end
return out
`);

/** The live records among `ids` of one user's index, pruning members whose record is gone. KEYS: index. ARGV: now, record key prefix, ids... */
export const LIST_IDS = script(`
local now = tonumber(ARGV[1])
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local f = redis.call('HMGET', ARGV[2] .. id, 'j', 'ls', 'ie', 'ex', 'v', 'rg', 'rt', 're', 'ru')
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif tonumber(f[4]) > now and redis.call('ZSCORE', KEYS[1], id) then
    for j = 1, 9 do out[#out + 1] = f[j] or '' end
  end
end
return out
`);
