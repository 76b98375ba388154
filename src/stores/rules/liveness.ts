// Rule "liveness": a session is live until the first of its idle expiry, its absolute expiry and its store
// expiry. Written once here, in its three forms side by side: the TypeScript (the memory store and the core),
// the Lua (the Redis scripts) and the SQL (the PostgreSQL statements). The cases in liveness-cases.ts run
// against the TypeScript (test/stores/kit.test.ts) and against any store through `runStoreConformance`.
//
// A store keeps `expiresAt` = min(idleExpiresAt, absoluteExpiresAt) on every record it writes (create,
// update, touch and the refresh step all move them together), so the Lua and the SQL compare that one field:
// it is what Redis' TTL and PostgreSQL's `expires_at` index are built on.
import type { SessionRecord } from '../../core/types.js';

/** Rule "is live": neither the idle nor the absolute timeout (nor the store expiry) has passed at `now`. */
export function isLive(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt' | 'expiresAt'>, now: number): boolean {
  return now < record.idleExpiresAt && now < record.absoluteExpiresAt && now < record.expiresAt;
}

/** The rule in Lua: `isLive(ex, now)` over the hash field `ex` (false or nil when the record is gone). */
export const LIVENESS_LUA = `
local function isLive(ex, now)
  return ex ~= nil and ex ~= false and tonumber(ex) > now
end
`;

/** The rule in SQL: the condition that a row is live at `now` (a parameter or expression). */
export function livenessSQL(now: string): string {
  return `expires_at > ${now}`;
}
