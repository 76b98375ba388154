// Rule "refresh step": theft decided by evidence, not by the clock. Written once here, in its three forms side
// by side: the TypeScript (the memory store, and the core for stores without `advanceRefresh`), the Lua (the
// Redis store's ADVANCE_REFRESH script) and the SQL (the PostgreSQL store's advanceRefresh statement). The
// cases in refresh-step-cases.ts run against all three (test/stores/kit.test.ts and the conformance suite),
// and store authors run them through `runStoreConformance`.
//
// The state is O(1) per session: the newest generation issued (`generation`), the one it was rotated from
// (`previous`: the last generation a client actually presented, -1 for none), when the newest was issued
// (`rotatedAt`), and where the current family starts (`firstGeneration`). A presented generation g is:
//   g = generation                        -> rotate: previous := g, generation := g + 1 (the newest was used)
//   g = previous, within reuseGrace        -> join: the same newest token (concurrent tabs); nothing written
//   g = previous, after reuseGrace         -> replace: generation := generation + 1, previous kept; the unused
//                                             newest is dead (its answer was lost, or a thief took it)
//   any other g (older than previous, or one replaced unused) -> theft: the core revokes the session
// Every generation's secret is an HMAC of (session id, generation) under a server key, so any generation can be
// recomputed and checked, and a forged token is refused before the store is read.
import type { RefreshState, SessionRecord } from '../../core/types.js';
import type { RefreshStep } from '../contract.js';

/** The generation the newest was rotated from (the last one used), or -1 when there is none. */
export function previousGeneration(state: Pick<RefreshState, 'generation' | 'previous' | 'firstGeneration'>): number {
  if (typeof state.previous === 'number') return state.previous;
  // A record written before `previous` existed: the generation before the newest, within the current family.
  return state.generation > (state.firstGeneration ?? 0) ? state.generation - 1 : -1;
}

/** What presenting generation `from` at `at` is, for a record's refresh state (see the table above). */
export type RefreshVerdict = 'rotate' | 'join' | 'replace' | 'current-expired' | 'foreign' | 'theft';

/**
 * The verdict on a presented generation, from the state as stored: `foreign` for a generation newer than
 * the newest or older than the family (never issued in this family: refused as invalid, never as theft).
 */
export function refreshVerdict(state: RefreshState, from: number, at: number, reuseGrace: number): RefreshVerdict {
  if (from > state.generation || from < (state.firstGeneration ?? 0)) return 'foreign';
  if (from === state.generation) return 'rotate';
  if (from === previousGeneration(state)) return at - state.rotatedAt <= reuseGrace ? 'join' : 'replace';
  return 'theft';
}

/**
 * Rule "refresh step": the record after a refresh step, or `null` when the step writes nothing (a join, a
 * theft, a foreign generation, or an expired refresh token or session at `step.at`). A rotation or a
 * replacement issues `generation + 1`, moves `rotatedAt` to `step.at` and the refresh expiry to
 * `step.refreshExpiresAt` (clamped to the absolute expiry), and counts as activity: the idle expiry becomes
 * `step.at + record.idleTimeout` when the record has its own idle timeout, else `step.idleExpiresAt`.
 */
export function applyRefreshStep(record: SessionRecord, step: RefreshStep): SessionRecord | null {
  const state = record.refresh;
  if (!state) return null;
  if (state.expiresAt <= step.at || record.absoluteExpiresAt <= step.at || record.expiresAt <= step.at) return null;
  const verdict = refreshVerdict(state, step.from, step.at, step.reuseGrace ?? 0);
  if (verdict !== 'rotate' && verdict !== 'replace') return null;
  const idleUntil = typeof record.idleTimeout === 'number' ? step.at + record.idleTimeout : step.idleExpiresAt;
  const idleExpiresAt = Math.min(idleUntil, record.absoluteExpiresAt);
  const moved = step.at > record.lastSeenAt;
  const refresh: RefreshState = {
    ...state,
    generation: state.generation + 1,
    previous: verdict === 'rotate' ? step.from : previousGeneration(state),
    rotatedAt: step.at,
    expiresAt: Math.min(step.refreshExpiresAt, record.absoluteExpiresAt),
  };
  return {
    ...record,
    version: record.version + 1,
    lastSeenAt: moved ? step.at : record.lastSeenAt,
    idleExpiresAt: moved ? idleExpiresAt : record.idleExpiresAt,
    expiresAt: moved ? idleExpiresAt : record.expiresAt,
    refresh,
  };
}

/**
 * The rule in Lua, for the Redis store's script, over the hash fields (rg generation, ru previous or '' for a
 * record written before it, rt rotatedAt, re refresh expiry, ls/ie/ex activity, ae absolute expiry):
 *  - `refreshOpen(re, ae, ex, at)`: the refresh token, the session and its idle window are open at `at`;
 *  - `refreshApplies(rg, ru, rt, from, at, grace, first)`: the new `ru` when the step rotates or replaces, `nil`
 *    when it writes nothing;
 *  - `refreshActivity(json, ls, ie, ex, ae, atText, idleDefault)`: the activity a step moves (ls, ie, ex), from the
 *    session's own `idleTimeout` in the record JSON, else `idleDefault`;
 *  - `refreshExpiry(requested, ae)`: the new refresh expiry, never past the absolute expiry.
 */
export const REFRESH_STEP_LUA = `
local function refreshOpen(re, ae, ex, at)
  return re > at and ae > at and ex > at
end
local function previousOf(rg, ru, first)
  if ru ~= nil and ru ~= '' and ru ~= false then return tonumber(ru) end
  if rg > first then return rg - 1 end
  return -1
end
local function refreshApplies(rg, ru, rt, from, at, grace, first)
  if from > rg or from < first then return nil end
  local previous = previousOf(rg, ru, first)
  if from == rg then return from end
  if from == previous and at - rt > grace then return previous end
  return nil
end
local function refreshActivity(json, ls, ie, ex, ae, atText, idleDefault)
  local at = tonumber(atText)
  if at <= tonumber(ls) then return ls, ie, ex end
  local idleUntil = idleDefault
  if string.find(json, '"idleTimeout":', 1, true) then
    local it = cjson.decode(json).idleTimeout
    if type(it) == 'number' then idleUntil = at + it end
  end
  local idleEnd = tostring(math.min(idleUntil, ae))
  return atText, idleEnd, idleEnd
end
local function refreshExpiry(requested, ae)
  return tostring(math.min(requested, ae))
end
`;

/** The parameters of the SQL form: `from`, `at`, the grace window, the requested refresh expiry and idle expiry. */
export interface RefreshStepParameters {
  from: string;
  at: string;
  grace: string;
  refreshExpiresAt: string;
  idleExpiresAt: string;
}

/**
 * The rule in SQL, for the PostgreSQL store's UPDATE: `applies`, the condition under which the step writes (the
 * verdict is rotate or replace, and the refresh token, the session and its idle window are open at `at`), and
 * `sets`, the columns it writes besides the version (the refresh state, and the activity it moves). The store
 * writes `refresh_previous` as previousGeneration() of every record it stores, so it is never NULL where there
 * is refresh state, and -1 at the start of a family. A session's own `idle_timeout` measures its idleness.
 */
export function refreshStepSQL(p: RefreshStepParameters): { applies: string; sets: string } {
  const { from, at, grace } = p;
  const idleUntil = `LEAST(COALESCE(${at} + idle_timeout, ${p.idleExpiresAt}), absolute_expires_at)`;
  return {
    applies: `(refresh_generation = ${from} OR (refresh_previous = ${from} AND ${at} - refresh_rotated_at > ${grace}))
        AND refresh_expires_at > ${at} AND absolute_expires_at > ${at} AND expires_at > ${at}`,
    sets: `refresh_previous = CASE WHEN refresh_generation = ${from} THEN ${from} ELSE refresh_previous END,
        refresh_generation = refresh_generation + 1, refresh_rotated_at = ${at}, refresh_expires_at = LEAST(${p.refreshExpiresAt}, absolute_expires_at),
        idle_expires_at = CASE WHEN ${at} > last_seen_at THEN ${idleUntil} ELSE idle_expires_at END,
        expires_at = CASE WHEN ${at} > last_seen_at THEN ${idleUntil} ELSE expires_at END,
        last_seen_at = GREATEST(last_seen_at, ${at})`,
  };
}
