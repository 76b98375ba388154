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
 * The rule in Lua, for the Redis store's script: defines `refreshApplies(rg, ru, rt, from, at, grace, first)`
 * over the hash fields (rg generation, ru previous or '' for a record written before it, rt rotatedAt) and
 * returns the new `ru` when the step rotates or replaces, `nil` when it writes nothing.
 */
export const REFRESH_STEP_LUA = `
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
`;

/**
 * The rule in SQL, for the PostgreSQL store's UPDATE: the condition under which the step writes, and the new
 * `refresh_previous`, over the row's columns and the parameters for `from`, `at` and the grace window. The
 * store writes `refresh_previous` as previousGeneration() of every record it stores, so it is never NULL
 * where there is refresh state, and -1 at the start of a family.
 */
export function refreshStepSQL(from: string, at: string, grace: string): { applies: string; previous: string } {
  return {
    applies: `(refresh_generation = ${from} OR (refresh_previous = ${from} AND ${at} - refresh_rotated_at > ${grace}))`,
    previous: `CASE WHEN refresh_generation = ${from} THEN ${from} ELSE refresh_previous END`,
  };
}
