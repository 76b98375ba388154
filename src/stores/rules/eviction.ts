// Rule "per-user cap": which of a user's live sessions a sign-in over `maxPerUser` evicts. The least recently
// active go first: the soonest `expiresAt`, then the oldest `createdAt`, then the id (in byte order). Written
// once here, in its three forms side by side: the TypeScript (the memory store), the Lua (the Redis CREATE
// script) and the SQL (the PostgreSQL capped insert). The cases in eviction-cases.ts run against the
// TypeScript (test/stores/kit.test.ts) and against any store through `runStoreConformance`.
import type { SessionRecord } from '../../core/types.js';

/**
 * Rule "per-user cap": which of a user's live records to evict so a new one fits under `maxPerUser`:
 * the least recently active first (the soonest `expiresAt`, then the oldest `createdAt`, then the id).
 */
export function pickEvictions<R extends Pick<SessionRecord, 'id' | 'expiresAt' | 'createdAt'>>(live: readonly R[], maxPerUser: number): R[] {
  const excess = live.length + 1 - maxPerUser;
  if (excess <= 0) return [];
  return [...live].sort((a, b) => a.expiresAt - b.expiresAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).slice(0, excess);
}

/**
 * The rule in Lua: `pickEvictions(alive, max)` over `{ id, ex, ca, at }` entries, where `at` is the entry's
 * place in the user's index read by score (Redis orders equal scores by member bytes, so `at` is the id order
 * without Lua's locale-dependent string comparison). Returns the ids to evict, first to go first.
 */
export const EVICTION_LUA = `
local function evictsBefore(a, b)
  if a.ex ~= b.ex then return a.ex < b.ex end
  if a.ca ~= b.ca then return a.ca < b.ca end
  return a.at < b.at
end
local function pickEvictions(alive, max)
  local out = {}
  local excess = #alive + 1 - max
  if excess <= 0 then return out end
  table.sort(alive, evictsBefore)
  for i = 1, excess do out[i] = alive[i].id end
  return out
end
`;

/** The rule in SQL: the ORDER BY of a user's live rows, first to go first. */
export const EVICTION_ORDER_SQL = 'expires_at, created_at, id COLLATE "C"';
