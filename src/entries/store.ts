// latchkey/store: the contract and the rules for people who write a session store (re-exports only). Each
// rule comes with its case table, which `runStoreConformance` (latchkey/testing) runs against a store.
export { checkStore, isSessionId } from '../stores/rules/kit.js';
export { isLive } from '../stores/rules/liveness.js';
export { mergeActivity, touchApplies } from '../stores/rules/activity.js';
export { pickEvictions } from '../stores/rules/eviction.js';
export { applyRefreshStep, previousGeneration, refreshVerdict } from '../stores/rules/refresh-step.js';
export type { RefreshVerdict } from '../stores/rules/refresh-step.js';
export { LIVENESS_CASES } from '../stores/rules/liveness-cases.js';
export type { LivenessCase } from '../stores/rules/liveness-cases.js';
export { ACTIVITY_CASES } from '../stores/rules/activity-cases.js';
export type { ActivityCase } from '../stores/rules/activity-cases.js';
export { EVICTION_CASES } from '../stores/rules/eviction-cases.js';
export type { EvictionCase, EvictionRecord } from '../stores/rules/eviction-cases.js';
export { REFRESH_STEP_CASES } from '../stores/rules/refresh-step-cases.js';
export type { RefreshStepCase } from '../stores/rules/refresh-step-cases.js';
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
