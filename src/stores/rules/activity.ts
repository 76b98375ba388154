// Rule "activity": activity only moves forward. A touch applies only when it is newer than the stored
// activity, and a compare-and-set update never moves activity backwards (a touch that landed after the writer
// read wins). Written once here, in its three forms side by side: the TypeScript (the memory store), the Lua
// (the Redis TOUCH and UPDATE scripts) and the SQL (the PostgreSQL touch and update statements). The cases in
// activity-cases.ts run against the TypeScript (test/stores/kit.test.ts) and against any store through
// `runStoreConformance`.
import type { SessionRecord } from '../../core/types.js';
import type { SessionActivity } from '../contract.js';

/** Rule "touch only if newer": a touch applies only when it moves `lastSeenAt` forward. */
export function touchApplies(stored: Pick<SessionRecord, 'lastSeenAt'>, activity: Pick<SessionActivity, 'lastSeenAt'>): boolean {
  return activity.lastSeenAt > stored.lastSeenAt;
}

/**
 * Rule "activity never moves backwards": what a compare-and-set update writes. When the stored
 * `lastSeenAt` is later than the incoming record's (a touch landed after the writer read), the stored
 * activity fields are kept; everything else comes from the incoming record.
 */
export function mergeActivity(stored: SessionRecord, incoming: SessionRecord): SessionRecord {
  if (stored.lastSeenAt <= incoming.lastSeenAt) return incoming;
  return { ...incoming, lastSeenAt: stored.lastSeenAt, idleExpiresAt: stored.idleExpiresAt, expiresAt: stored.expiresAt };
}

/**
 * The rule in Lua, over the hash fields ls, ie, ex: `touchApplies(storedLs, ls)`, and
 * `mergeActivity(storedLs, storedIe, storedEx, ls, ie, ex)` returning the ls, ie, ex an update writes.
 */
export const ACTIVITY_LUA = `
local function touchApplies(storedLs, ls)
  return tonumber(ls) > tonumber(storedLs)
end
local function mergeActivity(storedLs, storedIe, storedEx, ls, ie, ex)
  if tonumber(storedLs) > tonumber(ls) then return storedLs, storedIe, storedEx end
  return ls, ie, ex
end
`;

/** The rule in SQL: the condition under which a touch carrying `lastSeenAt` (a parameter) writes. */
export function touchAppliesSQL(lastSeenAt: string): string {
  return `last_seen_at < ${lastSeenAt}`;
}

/** The rule in SQL: the SET list of an update's activity columns, the stored activity kept when it is later. */
export function mergeActivitySQL(lastSeenAt: string, idleExpiresAt: string, expiresAt: string): string {
  return `idle_expires_at = CASE WHEN last_seen_at > ${lastSeenAt} THEN idle_expires_at ELSE ${idleExpiresAt} END,
      expires_at = CASE WHEN last_seen_at > ${lastSeenAt} THEN expires_at ELSE ${expiresAt} END,
      last_seen_at = GREATEST(last_seen_at, ${lastSeenAt})`;
}
