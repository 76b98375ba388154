// The Lua scripts of the Redis store on a user's index: each touches at most `batch` records, so no script
// blocks Redis for long however many sessions one user has (the store pages through larger indexes).
import { LIVENESS_LUA } from '../rules/liveness.js';
import { script } from './scripts.js';
import { luaFields, READ_FIELDS } from './scripts-read.js';

// Appends the READ_FIELDS of a user's record to `out` when it is live (and, with `indexed`, still in the index);
// prunes its index member when the record is gone.
const READ_LIVE = `${LIVENESS_LUA}
local function readLive(ix, key, id, now, indexed, out)
  local f = redis.call('HMGET', key, ${luaFields(READ_FIELDS)})
  if not f[1] then
    redis.call('ZREM', ix, id)
  elseif isLive(f[4], now) and (not indexed or redis.call('ZSCORE', ix, id)) then
    for i = 1, ${READ_FIELDS.length} do out[#out + 1] = f[i] or '' end
  end
end
`;

/**
 * Deletes up to `batch` of a user's records (from the soonest to expire) but `except`, publishes their ids, and
 * when none is left publishes the user (`~u:`) so every instance drops what it cached about them. KEYS: index.
 * ARGV: now, except ('' for none), channel, record key prefix, batch, userId. Returns {live deleted, left}.
 */
export const DELETE_BY_USER = script(`${LIVENESS_LUA}
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
      if isLive(ex, now) then count = count + 1 end
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
 * A user's live records (rule "liveness", stores/rules/liveness.ts), pruning dead index members,
 * when the index holds at most `batch` ids; nil when it holds more (the store then pages with ZSCAN + LIST_IDS).
 * KEYS: index. ARGV: now, record key prefix, batch. Returns READ_FIELDS per record.
 */
export const LIST = script(`${READ_LIVE}
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[3]) then return false end
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do readLive(KEYS[1], ARGV[2] .. id, id, now, false, out) end
return out
`);

/** The live records among `ids` of one user's index, pruning members whose record is gone. KEYS: index. ARGV: now, record key prefix, ids... */
export const LIST_IDS = script(`${READ_LIVE}
local now = tonumber(ARGV[1])
local out = {}
for i = 3, #ARGV do readLive(KEYS[1], ARGV[2] .. ARGV[i], ARGV[i], now, true, out) end
return out
`);
