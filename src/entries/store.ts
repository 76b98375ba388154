// latchkey/store: the contract and the rules for people who write a session store (re-exports only).
export { checkStore, isLive, isSessionId, mergeActivity, pickEvictions, touchApplies } from '../stores/rules/kit.js';
export { applyRefreshStep, previousGeneration, refreshVerdict } from '../stores/rules/refresh-step.js';
export type { RefreshVerdict } from '../stores/rules/refresh-step.js';
export type {
  CreateOptions,
  CreateOutcome,
  DeleteOptions,
  RefreshAdvance,
  RefreshStep,
  SessionActivity,
  SessionStore,
  StoreBroadcast,
} from '../stores/contract.js';
export type { RefreshState, SessionEndReason, SessionMeta, SessionRecord } from '../core/types.js';
