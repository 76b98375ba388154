// latchkey/store: the contract and the rules for people who write a session store (re-exports only).
export { applyRefreshStep, checkStore, isLive, isSessionId, mergeActivity, pickEvictions, touchApplies } from '../stores/rules/kit.js';
export type {
  CreateOptions,
  CreateOutcome,
  RefreshAdvance,
  RefreshStep,
  SessionActivity,
  SessionStore,
  StoreBroadcast,
} from '../stores/contract.js';
export type { RefreshState, SessionMeta, SessionRecord } from '../core/types.js';
