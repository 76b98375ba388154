// The Redis store's reads of one record, and how a reply becomes a record again. The same rules as the
// writes in scripts.ts hold: a record whose index entry is gone (evicted) is refused and deleted when read,
// and liveness is rule "liveness" (stores/rules/liveness.ts).
import type { SessionRecord } from '../../core/types.js';
import type { SharedRecord } from '../fast-read.js';
import { LIVENESS_LUA } from '../rules/liveness.js';
import { INDEXED_LUA, script } from './scripts.js';

/**
 * Reads what the per-request cookie check needs of live records: their JSON and activity, not version or
 * refresh state (four bulk strings instead of eleven for Redis to write and the client to parse), with the
 * same index check as GET. Several keys only on a single node (they may lie in different slots); a Cluster
 * sends one. KEYS: records. ARGV: now, then the id of each key. Returns a flat list: per key `0` (absent,
 * expired, or evicted from its index, which is then deleted), or `1` followed by j, ls, ie, ex.
 */
export const GET_SHARED_MANY = script(`${INDEXED_LUA}${LIVENESS_LUA}
local out = {}
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'j', 'ls', 'ie', 'ex', 'ix')
  local n = #out
  if not f[1] or not isLive(f[4], now) then
    out[n + 1] = 0
  elseif not indexedOrDrop(KEYS[i], f[5], ARGV[i + 1]) then
    out[n + 1] = 0
  else
    out[n + 1] = 1
    out[n + 2] = f[1]
    out[n + 3] = f[2]
    out[n + 4] = f[3]
    out[n + 5] = f[4]
  end
end
return out
`);

/** The shared (read-only) record of one GET_SHARED_MANY entry: the decoded JSON with the activity the hash keeps. */
export function reviveShared(fields: readonly string[], decode: (json: string) => SessionRecord): SharedRecord {
  const record = decode(fields[0]!);
  record.lastSeenAt = Number(fields[1]);
  record.idleExpiresAt = Number(fields[2]);
  record.expiresAt = Number(fields[3]);
  return record;
}

/** The fields a read returns, in this order, for `revive` below. */
export const READ_FIELDS = ['j', 'ls', 'ie', 'ex', 'v', 'rg', 'rt', 're', 'ru'] as const;

/** Hash field names as a Lua argument list: `'j', 'ls', …`. */
export function luaFields(fields: readonly string[]): string {
  return fields.map((field) => `'${field}'`).join(', ');
}

/**
 * Reads a live record; one whose index entry is missing (evicted) is deleted and reads as absent.
 * KEYS: record. ARGV: now, id. Returns nil, or the READ_FIELDS.
 */
export const GET = script(`${INDEXED_LUA}${LIVENESS_LUA}
local f = redis.call('HMGET', KEYS[1], ${luaFields(READ_FIELDS)}, 'ix')
if not f[1] or not isLive(f[4], tonumber(ARGV[1])) then return false end
if not indexedOrDrop(KEYS[1], f[10], ARGV[2]) then return false end
return {f[1], f[2], f[3], f[4], f[5] or '', f[6] or '', f[7] or '', f[8] or '', f[9] or ''}
`);

/**
 * A record read back from its hash: the JSON with the fields that scripts keep beside it laid over it.
 * `decode` turns the JSON into a fresh top-level object (default `JSON.parse`; see shared-decode.ts).
 */
export function revive(fields: readonly (string | null | undefined)[], decode: (json: string) => SessionRecord = parseRecord): SessionRecord {
  const [json, ls, ie, ex, v, rg, rt, re, ru] = fields;
  const record = decode(json!);
  record.lastSeenAt = Number(ls);
  record.idleExpiresAt = Number(ie);
  record.expiresAt = Number(ex);
  if (v) record.version = Number(v);
  if (record.refresh && rg && rt && re) {
    // the JSON keeps other refresh fields (firstGeneration); what the refresh step moves comes from the hash
    const { previous: _previous, ...kept } = record.refresh;
    record.refresh = { ...kept, generation: Number(rg), rotatedAt: Number(rt), expiresAt: Number(re) };
    // `ru` is absent in a record written before it existed: previousGeneration() derives it then
    if (ru) record.refresh.previous = Number(ru);
  }
  return record;
}

function parseRecord(json: string): SessionRecord {
  return JSON.parse(json) as SessionRecord;
}

/** The records of a flat reply of READ_FIELDS groups. */
export function records(flat: readonly string[]): SessionRecord[] {
  const out: SessionRecord[] = [];
  for (let i = 0; i + READ_FIELDS.length - 1 < flat.length; i += READ_FIELDS.length) out.push(revive(flat.slice(i, i + READ_FIELDS.length)));
  return out;
}
